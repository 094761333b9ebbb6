"""Issue #25 §5: the dashboard's maintained counts (per state, the returned drafts) rebuilt from the
log are the rows built inline, so the page shows the same figures (those computed again from
the log) before and after `rebuild_projections`, and `verify_projections` finds no difference."""

import pytest
from django.utils import timezone

from tests import factories
from tests.dashboard import mixed_orders

from .read_models import read_model_tables, run, snapshot, wipe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]


def test_the_dashboard_shows_the_same_figures_after_a_rebuild(client):
    now = timezone.now()
    company = factories.CompanyFactory(slug="mixed")
    who = mixed_orders.people(company)
    mixed_orders.seed(company, who, 52, now=now)
    users = who.by_role().values()
    before = {user.username: mixed_orders.shown(client, user) for user in users}
    for user in users:
        shown, period = before[user.username]
        assert shown == mixed_orders.expected(user, now=now, period=period)
    inline = snapshot()
    wipe(read_model_tables())  # every row compared below comes from the replay

    run("rebuild_projections")

    assert snapshot() == inline
    assert {user.username: mixed_orders.shown(client, user) for user in users} == before
    assert run("verify_projections") == "OK\n"
