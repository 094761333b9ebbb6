"""The last-Manager rule holds under real concurrency: the team commands run in the one writer
transaction, so two Managers deactivating each other at once cannot leave the company without
an active Manager: the second to get the lock is already deactivated, and its permission is
decided from the database inside the transaction (#24 item 8), so it is refused."""

import pytest

from accounts import commands
from accounts.exceptions import TeamNotPermitted
from accounts.models import Role, User
from events.verification import verify_log
from tests import factories
from tests.orders.test_concurrent_writers import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_db")]


def test_two_managers_deactivating_each_other_at_once_leave_one_active_manager(acme):
    managers = [factories.user(Role.MANAGER, acme, username=f"acme.manager{i}") for i in (1, 2)]

    results = run_together(
        lambda i: commands.deactivate_user(actor=managers[i], user_id=managers[1 - i].pk),
        count=2,
    )

    done = [r for r in results if isinstance(r, User)]
    refused = [r for r in results if isinstance(r, TeamNotPermitted)]
    assert (len(done), len(refused)) == (1, 1), results
    active = User.objects.filter(company=acme, is_active=True, groups__name="Manager")
    assert active.count() == 1
    assert verify_log().ok
