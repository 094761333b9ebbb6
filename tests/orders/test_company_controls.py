"""Issue #28: the company's controls. Four eyes, approval limits by amount band (the policy
dimension of the role x action matrix), first-of-two approvals, the policy version each approval
records, reasons, and the policy as a stream of events."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from events.models import Event
from orders import commands, policy
from orders.events import Line, PolicySettings
from orders.exceptions import ActionNotPermitted, OrderValidationError
from orders.models import Order
from tests import factories

pytestmark = pytest.mark.django_db

A, B = Decimal("1000.00"), Decimal("10000.00")
LIMITS = PolicySettings(staff_limit=A, two_manager_limit=B)


@pytest.fixture
def people(acme):
    """The placer (Staff), another Staff member, two Managers and a Manager who places."""
    return {
        "author": factories.user(Role.STAFF, acme, username="acme.author"),
        "staff": factories.user(Role.STAFF, acme, username="acme.staff2"),
        "anna": factories.user(Role.MANAGER, acme, username="acme.anna"),
        "ben": factories.user(Role.MANAGER, acme, username="acme.ben"),
        "boss": factories.user(Role.MANAGER, acme, username="acme.boss"),
    }


def set_policy(company, settings: PolicySettings, at=None) -> policy.Policy:
    manager = factories.user(Role.MANAGER, company, username=f"{company.slug}.controls")
    current = policy.policy_in_force(company.pk)
    return commands.change_policy(
        actor=manager, expected_version=current.version, settings=settings, at=at
    )


def submitted_order(author, amount: Decimal, at=None) -> Order:
    """An order of exactly `amount` (one line), placed and submitted by `author`."""
    order = commands.place_order(
        actor=author,
        details=factories.details(),
        lines=[Line(sku="X", description="Thing", quantity=1, unit_price=amount)],
        at=at,
    )
    return commands.submit(order.id, actor=author, expected_version=order.version, at=at)


def approve(order, actor, at=None) -> Order:
    return commands.approve(order.id, actor=actor, expected_version=order.version, at=at)


# --- four eyes ---------------------------------------------------------------------------------


def test_a_manager_cannot_approve_an_order_he_placed(acme, people):
    boss = people["boss"]
    order = submitted_order(boss, Decimal("99000.00"))

    with pytest.raises(ActionNotPermitted, match="someone else must approve it"):
        approve(order, boss)

    assert Order.objects.get(pk=order.id).state == "submitted"
    assert approve(order, people["anna"]).state == "approved"


def test_whoever_last_changed_a_drafts_contents_cannot_approve_it(acme, people):
    order = factories.place(people["author"])
    order = commands.change_order(
        order.id, actor=people["anna"], expected_version=order.version,
        details=factories.details(), lines=factories.lines(3),
    )  # fmt: skip
    order = commands.submit(order.id, actor=people["author"], expected_version=order.version)

    with pytest.raises(ActionNotPermitted, match="four eyes"):
        approve(order, people["anna"])
    assert approve(order, people["ben"]).state == "approved"


def test_with_four_eyes_off_the_author_may_approve_again(acme, people):
    set_policy(acme, PolicySettings(four_eyes=False))
    order = submitted_order(people["boss"], Decimal("50.00"))

    assert approve(order, people["boss"]).state == "approved"


# --- the policy dimension of the matrix: who may approve, per band ------------------------------

BANDS = {  # amount -> (approvers that complete it alone, approvers refused outright)
    A: ({"staff", "anna"}, set()),
    A + Decimal("0.01"): ({"anna"}, {"staff"}),
    B: ({"anna"}, {"staff"}),
    B + Decimal("0.01"): (set(), {"staff"}),  # two Managers: one only records a first approval
}


@pytest.mark.parametrize("amount", list(BANDS), ids=str)
@pytest.mark.parametrize("who", ["author", "staff", "anna"])
def test_who_may_approve_follows_the_amount_band_and_four_eyes(acme, people, amount, who):
    set_policy(acme, LIMITS)
    order = submitted_order(people["author"], amount)
    completes, refused = BANDS[amount]
    events_before = Event.objects.count()

    if who == "author" or who in refused:
        with pytest.raises(ActionNotPermitted):
            approve(order, people[who])
        assert Event.objects.count() == events_before
    else:
        after = approve(order, people[who])
        assert after.state == ("approved" if who in completes else "submitted")


def test_an_order_above_the_two_manager_limit_needs_two_different_managers(acme, people):
    set_policy(acme, LIMITS)
    at = timezone.make_aware(dt.datetime(2026, 5, 4, 10, 42))
    order = submitted_order(people["author"], Decimal("20000.00"), at=at)

    first = approve(order, people["anna"], at=at)
    assert first.state == "submitted"
    assert first.approvals == [{"by": "acme.anna", "at": at.astimezone(dt.UTC).isoformat()}]
    with pytest.raises(
        ActionNotPermitted, match="second Manager's approval: you approved at 10:42"
    ):
        approve(first, people["anna"])
    with pytest.raises(ActionNotPermitted, match=r"acme\.anna approved at 10:42"):
        approve(first, people["staff"])

    second = approve(first, people["ben"], at=at + dt.timedelta(minutes=5))
    assert second.state == "approved"
    recorded = Event.objects.filter(stream_id=order.id).order_by("version")
    assert [e.event_type for e in recorded][-2:] == ["OrderApprovalRecorded", "OrderApproved"]
    final = recorded.last().payload
    assert final["policy_version"] == 1
    assert final["rule"] == "two_managers"
    assert final["rule_text"] == "above 10,000.00 EUR: two different Managers"
    assert [a["by"] for a in final["earlier_approvals"]] == ["acme.anna"]


def test_a_policy_change_between_two_approvals_applies_the_version_in_force_at_each(acme, people):
    v1 = set_policy(acme, LIMITS)
    order = submitted_order(people["author"], Decimal("20000.00"))
    first = approve(order, people["anna"])
    v2 = set_policy(acme, PolicySettings(staff_limit=A, two_manager_limit=Decimal("50000.00")))

    second = approve(first, people["ben"])

    events = list(Event.objects.filter(stream_id=order.id).order_by("version"))
    assert (events[-2].event_type, events[-2].payload["policy_version"]) == (
        "OrderApprovalRecorded",
        v1.version,
    )
    assert events[-1].payload["policy_version"] == v2.version == 2
    assert events[-1].payload["rule"] == "manager"  # under v2, one Manager is enough
    assert second.state == "approved"


def test_the_company_may_auto_approve_on_submit_within_the_staff_limit(acme, people):
    set_policy(acme, PolicySettings(staff_limit=A, auto_approve=True))

    small = submitted_order(people["author"], A)
    large = submitted_order(people["author"], A + Decimal("0.01"))

    assert (small.state, large.state) == ("approved", "submitted")
    event = Event.objects.filter(stream_id=small.id).order_by("version").last()
    assert event.event_type == "OrderSubmittedAutoApproved"
    assert event.payload["policy_version"] == 1


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    limits=st.tuples(
        st.decimals(min_value=0, max_value=100000, places=2),
        st.decimals(min_value=0, max_value=100000, places=2),
    ).map(sorted),
    edge=st.sampled_from(["A", "A+", "B", "B+"]),
)
def test_the_band_edges_belong_where_the_policy_says(limits, edge):
    a, b = limits
    settings_ = PolicySettings(staff_limit=a, two_manager_limit=b)
    amount = {"A": a, "A+": a + Decimal("0.01"), "B": b, "B+": b + Decimal("0.01")}[edge]
    rule = policy.approval_rule(policy.Policy(1, settings_, "EUR"), amount)

    if amount > b:
        assert (rule.name, rule.needed) == ("two_managers", 2)
    elif amount <= a:
        assert (rule.name, rule.needed) == ("staff", 1)
    else:
        assert (rule.name, rule.needed, rule.managers_only) == ("manager", 1, True)
    expected = {
        "A": "staff",
        "A+": "manager" if a < b else "two_managers",
        "B": "manager" if a < b else "staff",
        "B+": "two_managers",
    }
    assert rule.name == expected[edge]


# --- reasons -----------------------------------------------------------------------------------


def test_a_company_may_drop_the_reason_for_hold_but_not_for_cancel(acme, people):
    set_policy(acme, PolicySettings(reasons_required=("reject", "cancel")))
    order = factories.order_in_state("approved", acme)

    held = commands.hold(
        order.id, reason="", actor=people["author"], expected_version=order.version
    )
    assert held.state == "on_hold"
    with pytest.raises(OrderValidationError, match="A reason"):
        commands.cancel(held.id, reason=" ", actor=people["anna"], expected_version=held.version)


# --- the policy stream -------------------------------------------------------------------------


def test_each_policy_change_is_an_event_with_who_when_and_old_to_new(acme, people):
    t1 = timezone.make_aware(dt.datetime(2026, 1, 5, 9, 0))
    t2 = t1 + dt.timedelta(days=30)
    set_policy(acme, LIMITS, at=t1)
    set_policy(acme, PolicySettings(staff_limit=A, two_manager_limit=Decimal("5000.00")), at=t2)

    events = list(Event.objects.filter(stream_type="policy").order_by("version"))
    assert [e.version for e in events] == [1, 2]
    assert events[1].metadata["actor_username"] == "acme.controls"
    assert events[1].payload["changes"] == [
        {"setting": "Two Managers above", "before": "10000.00", "after": "5000.00"}
    ]
    assert policy.policy_in_force(acme.pk, at=t1 - dt.timedelta(days=1)).version == 0
    assert policy.policy_in_force(acme.pk, at=t1 + dt.timedelta(days=1)).two_manager_limit == B
    assert policy.policy_in_force(acme.pk).version == 2


def test_only_a_manager_may_change_the_controls_and_contradictions_are_refused(acme, people):
    with pytest.raises(ActionNotPermitted):
        commands.change_policy(actor=people["staff"], expected_version=0, settings=LIMITS)
    manager = people["anna"]
    with pytest.raises(OrderValidationError, match="cannot be above"):
        commands.change_policy(
            actor=manager,
            expected_version=0,
            settings=PolicySettings(staff_limit=B, two_manager_limit=A),
        )
    with pytest.raises(OrderValidationError, match="needs a Staff limit"):
        commands.change_policy(
            actor=manager, expected_version=0, settings=PolicySettings(auto_approve=True)
        )
    assert not Event.objects.filter(stream_type="policy").exists()
