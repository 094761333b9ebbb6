"""Issue #19 §1: each role's queue on the dashboard, derived from the FSM's transitions."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from accounts.models import Role
from dashboard import queues
from orders import commands
from orders.models import Order
from tests import factories
from tests.factories import log_in, order_in_state

pytestmark = pytest.mark.django_db


def queues_of(user) -> dict[str, tuple]:
    """label -> (actions, count, numbers of the oldest rows)."""
    return {
        q.label: (q.actions, q.count, [row["number"] for row in q.oldest])
        for q in queues.role_queues(user)
    }


@pytest.fixture
def company():
    return factories.CompanyFactory(slug="acme")


@pytest.fixture
def staff(company):
    return factories.user(Role.STAFF, company)


@pytest.fixture
def manager(company):
    return factories.user(Role.MANAGER, company)


def test_manager_waits_on_submitted_to_approve_or_reject_and_on_hold_to_resume(company, manager):
    submitted = order_in_state("submitted", company)
    held = order_in_state("on_hold", company)
    queues = queues_of(manager)
    assert queues["Submitted"] == (("Approve", "Reject"), 1, [submitted.number])
    assert queues["On hold"] == (("Resume",), 1, [held.number])


def test_staff_waits_on_approved_in_fulfilment_shipped_and_returned_drafts(company, staff):
    for state in ("approved", "in_fulfilment", "shipped", "submitted", "on_hold", "draft"):
        order_in_state(state, company)
    queues = queues_of(staff)
    assert list(queues) == ["Returned drafts", "Approved", "In fulfilment", "Shipped"]
    assert queues["Approved"][:2] == (("Start fulfilment",), 1)
    assert queues["In fulfilment"][:2] == (("Ship",), 1)
    assert queues["Shipped"][:2] == (("Mark delivered",), 1)
    assert queues["Returned drafts"][1] == 0  # a fresh draft is nobody's queue


def test_returned_draft_carries_the_rejection_reason_until_submitted_again(company, staff, manager):
    order = order_in_state("submitted", company)
    order = commands.reject(
        order.id, actor=manager, expected_version=order.version, reason="Wrong PO number"
    )
    (returned,) = [q for q in queues.role_queues(staff) if q.returned]
    assert returned.count == 1
    assert returned.oldest[0]["rejection_reason"] == "Wrong PO number"
    commands.submit(order.id, actor=staff, expected_version=order.version)
    (returned,) = [q for q in queues.role_queues(staff) if q.returned]
    assert returned.count == 0


def test_oldest_items_come_first_and_are_capped(company, manager):
    now = timezone.now()
    staff = factories.user(Role.STAFF, company)
    numbers = []
    for days in (3, 9, 1, 7, 5, 2, 8):
        order = factories.place(staff, at=now - dt.timedelta(days=days, hours=1))
        commands.submit(order.id, actor=staff, expected_version=1, at=now - dt.timedelta(days=days))
        numbers.append((days, order.number))
    (submitted,) = [q for q in queues.role_queues(manager) if q.state == "submitted"]
    assert submitted.count == 7
    expected = [number for _, number in sorted(numbers, reverse=True)][: queues.QUEUE_ROWS]
    assert [row["number"] for row in submitted.oldest] == expected


def test_changing_a_transitions_permission_changes_the_queue(company, staff, monkeypatch):
    order_in_state("submitted", company)
    assert "Submitted" not in queues_of(staff)
    approve = next(t for t in Order().get_all_state_transitions() if t.name == "approve")
    monkeypatch.setattr(approve, "permission", "orders.fulfil_order")
    assert queues_of(staff)["Submitted"][:2] == (("Approve",), 1)


def test_changing_a_roles_grants_changes_the_queue(company, manager):
    order_in_state("submitted", company)
    group = Group.objects.get(name=Role.MANAGER.value)
    group.permissions.remove(Permission.objects.get(codename="approve_order"))
    manager = type(manager).objects.get(pk=manager.pk)  # fresh permission cache
    assert queues_of(manager)["Submitted"][:2] == (("Reject",), 1)


def test_read_only_roles_have_no_queue(company):
    order_in_state("submitted", company)
    assert queues.role_queues(factories.user(Role.AUDITOR, company)) == []


def test_queues_count_only_the_users_company(company, manager):
    other = factories.CompanyFactory(slug="globex")
    order_in_state("submitted", other)
    assert queues_of(manager)["Submitted"][1] == 0


def test_dashboard_shows_the_queue_and_its_link_lists_exactly_those_orders(
    client, company, manager
):
    waiting = {order_in_state("submitted", company).number for _ in range(3)}
    order_in_state("approved", company)
    log_in(client, manager)
    page = client.get("/").content.decode()
    assert 'data-testid="queue-submitted"' in page
    assert "All 3, oldest first" in page
    listed = client.get("/orders/?state=submitted&sort=since").content.decode()
    assert all(number in listed for number in waiting)
    assert listed.count('class="mono"') == 3


def test_returned_drafts_link_lists_only_drafts_sent_back(client, company, staff, manager):
    order = order_in_state("submitted", company)
    commands.reject(order.id, actor=manager, expected_version=order.version, reason="No PO")
    fresh = order_in_state("draft", company)
    log_in(client, staff)
    page = client.get("/").content.decode()
    assert "Sent back: No PO" in page
    listed = client.get("/orders/?state=draft&returned=true&sort=since").content.decode()
    assert order.number in listed and fresh.number not in listed
