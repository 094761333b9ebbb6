"""The dashboard projection: value by state, placed/delivered per day, submit-to-deliver time."""

import datetime as dt

import pytest

from accounts.models import Role
from dashboard.selectors import dashboard
from orders import commands
from orders.models import Order
from projections.models import DashboardActivity, DashboardOrder, DashboardStateTotal
from tests import factories

pytestmark = pytest.mark.django_db

DAY1 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)
ONE_LINE, TWO_LINES, THREE_LINES = 999, 3197, 6794  # cents of factories.lines(n)


@pytest.fixture
def act(acme):
    """`act(order, "submit", at=...)`: one workflow step by a user allowed to take it."""
    users = {role: factories.user(role, acme) for role in (Role.STAFF, Role.MANAGER)}
    role_of = {name: role for steps in factories.PATHS.values() for name, role, _ in steps}
    data_of = {name: data for steps in factories.PATHS.values() for name, _, data in steps}
    data_of["reject"] = {"reason": "Wrong prices"}

    def act(order, name, *, at, role=None):
        actor = users[role or role_of.get(name, Role.MANAGER)]
        return commands.transition(
            order.id,
            name,
            actor=actor,
            expected_version=order.version,
            at=at,
            **data_of.get(name, {}),
        )

    return act


def by_state(company) -> dict[str, tuple[int, int]]:
    """(count, total cents) of each state that has orders."""
    rows = DashboardStateTotal.objects.filter(company=company)
    return {r.state: (r.count, r.total_cents) for r in rows if r.count or r.total_cents}


def per_day(company) -> dict[dt.date, tuple[int, int]]:
    """(placed, delivered) per UTC day, summed from the quarter-hour rows."""
    days: dict[dt.date, tuple[int, int]] = {}
    for r in DashboardActivity.objects.filter(company=company):
        placed, delivered = days.get(r.slot.date(), (0, 0))
        days[r.slot.date()] = (placed + r.placed, delivered + r.delivered)
    return days


def test_counts_and_totals_by_state_follow_every_move(acme, staff, manager, act):
    first = factories.place(staff, line_count=2, at=DAY1)
    assert by_state(acme) == {"draft": (1, TWO_LINES)}

    first = commands.change_order(
        first.id, actor=staff, expected_version=first.version,
        details=factories.details(), lines=factories.lines(3), at=DAY1,
    )  # fmt: skip
    assert by_state(acme) == {"draft": (1, THREE_LINES)}

    first = act(first, "submit", at=DAY1)
    assert by_state(acme) == {"submitted": (1, THREE_LINES)}

    first = act(first, "reject", at=DAY1)
    second = factories.place(staff, line_count=1, at=DAY1)  # a Manager approves it (four eyes)
    assert by_state(acme) == {"draft": (2, THREE_LINES + ONE_LINE)}

    for name in ("submit", "approve", "hold"):
        second = act(second, name, at=DAY1)
    assert by_state(acme) == {"draft": (1, THREE_LINES), "on_hold": (1, ONE_LINE)}

    second = act(second, "resume", at=DAY1, role=Role.MANAGER)
    assert by_state(acme) == {"draft": (1, THREE_LINES), "approved": (1, ONE_LINE)}

    act(second, "cancel", at=DAY1, role=Role.MANAGER)
    commands.add_note(first.id, actor=staff, expected_version=first.version, text="Hi", at=DAY1)
    assert by_state(acme) == {"draft": (1, THREE_LINES), "cancelled": (1, ONE_LINE)}


def test_placed_and_delivered_are_counted_on_the_day_they_happened(acme, staff, act):
    early = factories.place(staff, at=DAY1)
    late = factories.place(staff, at=DAY1 + 6 * HOUR)
    factories.place(staff, at=DAY1 + DAY)
    for number, name in enumerate(("submit", "approve", "start_fulfilment", "ship", "deliver")):
        early = act(early, name, at=DAY1 + (number + 1) * DAY)
        late = act(late, name, at=DAY1 + (number + 1) * DAY + HOUR)
    factories.place(staff, at=DAY1 + 5 * DAY)

    assert per_day(acme) == {
        DAY1.date(): (2, 0),
        (DAY1 + DAY).date(): (1, 0),
        (DAY1 + 5 * DAY).date(): (1, 2),
    }


def test_days_are_local_days_of_the_company_time_zone(acme, staff):
    acme.time_zone = "America/New_York"
    acme.save()
    staff.refresh_from_db()
    factories.place(staff, at=dt.datetime(2025, 3, 4, 2, 30, tzinfo=dt.UTC))

    shown = dashboard(staff, data={"from": dt.date(2025, 3, 3), "to": dt.date(2025, 3, 4)})
    bars = {bar.start: bar.placed for bar in shown["chart"]["bars"]}
    assert bars == {dt.date(2025, 3, 3): 1, dt.date(2025, 3, 4): 0}  # 21:30 the evening before


def test_average_cycle_time_runs_from_the_last_submit_to_delivery(acme, staff, act):
    quick, slow = factories.place(staff, at=DAY1), factories.place(staff, at=DAY1)
    quick = act(quick, "submit", at=DAY1 + HOUR)
    quick = act(quick, "reject", at=DAY1 + 2 * HOUR)  # sent back: the clock restarts on submit
    quick = act(quick, "submit", at=DAY1 + DAY)
    slow = act(slow, "submit", at=DAY1 + HOUR)
    for name in ("approve", "start_fulfilment", "ship"):
        quick = act(quick, name, at=DAY1 + DAY + HOUR)
        slow = act(slow, name, at=DAY1 + DAY + HOUR)
    act(quick, "deliver", at=DAY1 + DAY + 5 * HOUR)  # 5 hours after its last submit
    act(slow, "deliver", at=DAY1 + 3 * DAY + 4 * HOUR + dt.timedelta(seconds=30))

    cycles = DashboardOrder.objects.filter(company=acme, cycle_seconds__isnull=False)

    slow_seconds = (3 * DAY + 3 * HOUR).total_seconds() + 30
    assert sorted(cycles.values_list("cycle_seconds", flat=True)) == [5 * 3600, slow_seconds]


def test_orders_that_are_not_delivered_do_not_count_towards_cycle_time(acme, act):
    factories.order_in_state("shipped", acme)
    factories.order_in_state("cancelled", acme)

    assert not DashboardOrder.objects.filter(company=acme, cycle_seconds__isnull=False).exists()
    assert by_state(acme) == {"shipped": (1, TWO_LINES), "cancelled": (1, TWO_LINES)}


def test_a_draft_change_is_possible_in_draft_only_as_the_dashboard_counts_on():
    """The dashboard's order row keeps no state (issue #25): a change's new total is counted in
    the drafts' value, which holds only while `change` has no other source state."""
    sources = {t.source for t in Order().get_all_state_transitions() if t.name == "change"}

    assert sources == {"draft"}
