"""Roles at the HTTP boundary: one table of what each role gets from each page and action.

Success codes: pages 200, form posts 302 (to the order), workflow actions and notes 303 (See
Other, to the detail page). A role without the right gets 403 and nothing is written. The
detail page offers a button exactly for the actions the table lets that role take.
"""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from events.models import Event
from orders.models import Order
from tests import factories

from .conftest import ACTION_DATA, STATES, order_in_state, order_post_data

ROLES = (Role.STAFF, Role.MANAGER, Role.AUDITOR, Role.OPS)
READ_ONLY = (Role.AUDITOR, Role.OPS)

# page or action                  order state        Staff Manager Auditor Ops
TABLE = [
    ("dashboard",                  None,              200,  200,    200,    200),
    ("order list",                 None,              200,  200,    200,    200),
    ("new order form",             None,              200,  200,    403,    403),
    ("create order",               None,              302,  302,    403,    403),
    ("detail",                     "submitted",       200,  200,    200,    200),
    ("edit form",                  "draft",           200,  200,    403,    403),
    ("save edit",                  "draft",           302,  302,    403,    403),
    ("submit",                     "draft",           303,  303,    403,    403),
    ("approve",                    "submitted",       403,  303,    403,    403),
    ("reject",                     "submitted",       403,  303,    403,    403),
    ("start_fulfilment",           "approved",        303,  303,    403,    403),
    ("ship",                       "in_fulfilment",   303,  303,    403,    403),
    ("deliver",                    "shipped",         303,  303,    403,    403),
    ("hold",                       "approved",        303,  303,    403,    403),
    ("hold",                       "in_fulfilment",   303,  303,    403,    403),
    ("resume",                     "on_hold",         403,  303,    403,    403),
    ("cancel",                     "draft",           303,  303,    403,    403),
    ("cancel",                     "submitted",       303,  303,    403,    403),
    ("cancel",                     "approved",        403,  303,    403,    403),
    ("cancel",                     "on_hold",         403,  303,    403,    403),
    ("reopen",                     "delivered",       403,  303,    403,    403),
    ("add note",                   "shipped",         303,  303,    403,    403),
    ("history",                    "shipped",         200,  200,    200,    200),
    ("history CSV",                "shipped",         200,  200,    200,    200),
    ("audit log",                  None,              403,  200,    200,    200),
    ("audit log CSV",              None,              403,  200,    200,    200),
]  # fmt: skip

WORKFLOW_ACTIONS = {
    "submit", "approve", "reject", "start_fulfilment", "ship", "deliver", "hold", "resume",
    "cancel", "reopen",
}  # fmt: skip
WRITES = WORKFLOW_ACTIONS | {"create order", "save edit", "add note"}

CASES = [
    pytest.param(
        page,
        state,
        role,
        expected,
        id=f"{role.value}-{page}" + (f"-from-{state}" if page in WORKFLOW_ACTIONS else ""),
    )
    for page, state, *statuses in TABLE
    for role, expected in zip(ROLES, statuses, strict=True)
]


def request_for(page: str, order):
    """(method, url, data) of a page or action of the table, for `order` (None: no order)."""
    url = f"/orders/{order.id}/" if order is not None else ""
    if page in WORKFLOW_ACTIONS:
        return (
            "post",
            f"{url}transitions/{page}/",
            # Confirmed: deliver and cancel ask first (tests/orders/test_confirmation.py).
            {"version": order.version, "confirmed": "yes", **ACTION_DATA.get(page, {})},
        )
    return {
        "dashboard": ("get", "/", {}),
        "order list": ("get", "/orders/", {}),
        "new order form": ("get", "/orders/new/", {}),
        "create order": ("post", "/orders/new/", order_post_data()),
        "detail": ("get", url, {}),
        "edit form": ("get", f"{url}edit/", {}),
        "save edit": ("post", f"{url}edit/", order_post_data(version=order and order.version)),
        "add note": ("post", f"{url}notes/", {"version": order and order.version, "text": "Hi"}),
        "history": ("get", f"{url}history/", {}),
        "history CSV": ("get", f"{url}history/", {"format": "csv"}),
        "audit log": ("get", "/audit/", {}),
        "audit log CSV": ("get", "/audit/", {"format": "csv"}),
    }[page]  # fmt: skip


def test_the_table_covers_every_workflow_action_from_every_state_it_starts_in():
    moves = {
        (t.name, t.source) for t in Order().get_all_state_transitions() if t.custom.get("workflow")
    }
    assert {(page, state) for page, state, *_ in TABLE if page in WORKFLOW_ACTIONS} == moves


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "state", "role", "expected"), CASES)
def test_each_role_gets_what_the_table_says(
    acme, staff, manager, logged_in, page, state, role, expected
):
    order = order_in_state(state, staff, manager) if state else None
    client = logged_in(factories.user(role, acme))
    method, url, data = request_for(page, order)
    events_before = Event.objects.count()

    if page in WORKFLOW_ACTIONS:
        # The button is offered exactly when the action is granted.
        detail = client.get(f"/orders/{order.id}/").content.decode()
        assert (f'data-action="{page}"' in detail) == (expected == 303)
    response = getattr(client, method)(url, data)

    assert response.status_code == expected
    written = Event.objects.count() - events_before
    assert written == (1 if page in WRITES and expected in (302, 303) else 0)
    if expected == 403 and page in WORKFLOW_ACTIONS and role not in READ_ONLY:
        # the FSM's refusal, shown (approve's is the company policy's: "A Manager must approve it.")
        assert re.search(r"Your role may not|must approve", response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", READ_ONLY, ids=lambda role: role.value)
def test_a_read_only_role_sees_no_action_buttons_or_forms_on_any_detail_page(
    acme, staff, manager, logged_in, role, state
):
    order = order_in_state(state, staff, manager)
    client = logged_in(factories.user(role, acme))

    body = client.get(f"/orders/{order.id}/").content.decode()

    assert "data-action=" not in body
    assert body.count('method="post"') == 1  # the log-out button only
    assert f"/orders/{order.id}/edit/" not in body
    assert f"/orders/{order.id}/notes/" not in body
    assert "Your role is read-only." in body
