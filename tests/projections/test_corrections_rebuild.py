"""Issue #28: corrections (amend, reopen), first-of-two approvals and policy changes keep the
read models what a rebuild from the log makes of them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from orders import commands, policy
from orders.events import Line, PolicySettings
from orders.exceptions import ActionNotPermitted, TransitionNotAllowed
from projections.models import DashboardStateTotal, OrderSummary
from tests import factories

from .read_models import read_model_tables, run, snapshot, wipe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]


def test_amend_reopen_and_two_approvals_verify_and_rebuild_identically(acme, scratch_files):
    staff = factories.user(Role.STAFF, acme)
    anna = factories.user(Role.MANAGER, acme, username="acme.anna")
    ben = factories.user(Role.MANAGER, acme, username="acme.ben")
    commands.change_policy(
        actor=anna,
        expected_version=0,
        settings=PolicySettings(staff_limit=Decimal("100"), two_manager_limit=Decimal("1000")),
    )
    t0 = timezone.make_aware(dt.datetime(2026, 6, 1, 9, 0))

    order = factories.place(staff, at=t0)  # 2 lines, 31.97: one Manager
    for name, actor in (("submit", staff), ("approve", anna)):
        order = commands.transition(order.id, name, actor=actor, expected_version=order.version)
    big = [Line(sku="BIG", description="Machine", quantity=1, unit_price=Decimal("5000.00"))]
    order = commands.amend_order(
        order.id, actor=staff, expected_version=order.version,
        details=factories.details("Initech Ltd"), lines=big, reason="Wrong machine",
    )  # fmt: skip
    assert (order.state, order.total_cents, order.approvals) == ("submitted", 500000, [])
    order = commands.approve(order.id, actor=anna, expected_version=order.version)
    assert order.state == "submitted"  # amended above the limit: two Managers now
    order = commands.approve(order.id, actor=ben, expected_version=order.version)
    for name, data in (
        ("start_fulfilment", {}),
        ("ship", {"carrier": "DHL", "tracking_number": "T1"}),
        ("deliver", {}),
    ):
        order = commands.transition(
            order.id, name, actor=staff, expected_version=order.version, **data
        )
    order = commands.transition(
        order.id, "reopen", actor=anna, expected_version=order.version, reason="Wrong address"
    )
    assert (order.state, order.delivered_at) == ("shipped", None)
    summary = OrderSummary.objects.get(pk=order.id)
    assert (summary.state, summary.total_cents, summary.customer_name) == (
        "shipped",
        500000,
        "Initech Ltd",
    )
    assert DashboardStateTotal.objects.get(company=acme, state="shipped").total_cents == 500000

    assert run("verify_projections") == "OK\n"
    inline = snapshot()
    wipe(read_model_tables())
    run("rebuild_projections")
    assert snapshot() == inline
    assert policy.policy_in_force(acme.pk).version == 1


def test_reopen_is_refused_after_the_companys_window(acme):
    staff = factories.user(Role.STAFF, acme)
    manager = factories.user(Role.MANAGER, acme)
    delivered = factories.order_in_state("delivered", acme)
    later = delivered.delivered_at + dt.timedelta(days=7, seconds=1)

    with pytest.raises(TransitionNotAllowed, match="reopen window"):
        commands.transition(
            delivered.id, "reopen", actor=manager, expected_version=delivered.version,
            reason="late", at=later,
        )  # fmt: skip
    with pytest.raises(ActionNotPermitted, match="may not reopen"):
        commands.transition(
            delivered.id, "reopen", actor=staff, expected_version=delivered.version, reason="x"
        )
    assert run("verify_projections") == "OK\n"
