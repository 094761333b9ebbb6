"""Every action says what happened and what comes next (issue #14 item 5). Focus moving to the
updated panel is checked in the browser (tests/e2e/test_flow.py)."""

import html as html_lib
import re

import pytest

from orders.models import OrderState
from tests import factories
from tests.factories import log_in
from tests.orders.workflow_spec import HELD_FROM, MOVES

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DATA = {"reject": {"reason": "Prices"}, "hold": {"reason": "Stock"}, "cancel": {"reason": "No"},
        "reopen": {"reason": "Marked delivered by mistake"},
        "ship": {"carrier": "DHL", "tracking_number": "TRK1"}}  # fmt: skip


def oob_messages(html: str) -> list[str]:
    block = re.search(
        r'<div id="messages"[^>]*hx-swap-oob="innerHTML"[^>]*>(.*?)</div>\s*$', html, re.S
    )
    assert block, "no out-of-band messages in the answer"
    return [
        html_lib.unescape(m.strip())
        for m in re.findall(r'data-testid="message">\s*(.*?)\s*<button', block.group(1), re.S)
    ]


def page_messages(html: str) -> list[str]:
    return [
        html_lib.unescape(m.strip())
        for m in re.findall(r'data-testid="message">\s*(.*?)\s*<button', html, re.S)
    ]


# Where the move is not what its verb says, the verb comes first (QA: "is now draft").
VERB_FIRST = {"reject": "rejected", "resume": "resumed", "reopen": "reopened"}


def said(name: str, number: str, target: str) -> str:
    now = "a draft" if target == "draft" else dict(OrderState.choices)[target].lower()
    if name in VERB_FIRST:
        return f"Order {number} was {VERB_FIRST[name]} and is now {now}."
    return f"Order {number} is now {now}."


def test_a_rejection_says_the_order_was_rejected_and_is_a_draft_again(client, acme, manager):
    order = factories.order_in_state("submitted", acme)
    log_in(client, manager)
    response = client.post(
        f"/orders/{order.id}/transitions/reject/",
        {"version": order.version, "reason": "Prices"},
        follow=True,
    )
    assert page_messages(response.content.decode()) == [
        f"Order {order.number} was rejected and is now a draft."
    ]


def cases():
    """(transition, source state, target state) of every workflow move (the demo-like hold path
    holds from approved, so resume goes back there)."""
    return [
        pytest.param(name, source, "approved" if to == HELD_FROM else to, id=f"{name}-{source}")
        for (name, source), (to, _) in MOVES.items()
    ]


@pytest.mark.parametrize(("name", "source", "target"), cases())
def test_every_action_by_htmx_says_which_order_is_now_in_which_state(
    client, acme, manager, name, source, target
):
    order = factories.order_in_state(source, acme)
    log_in(client, manager)

    response = client.post(
        f"/orders/{order.id}/transitions/{name}/",
        {"version": order.version, "confirmed": "yes", **DATA.get(name, {})},
        **HTMX,
    )

    assert response.status_code == 200
    assert oob_messages(response.content.decode()) == [said(name, order.number, target)]


@pytest.mark.parametrize(("name", "source", "target"), cases())
def test_every_action_on_the_whole_page_says_which_order_is_now_in_which_state(
    client, acme, manager, name, source, target
):
    order = factories.order_in_state(source, acme)
    log_in(client, manager)

    response = client.post(
        f"/orders/{order.id}/transitions/{name}/",
        {"version": order.version, "confirmed": "yes", **DATA.get(name, {})},
        follow=True,
    )

    assert page_messages(response.content.decode()) == [said(name, order.number, target)]


def test_a_note_says_it_was_added(client, acme, staff):
    order = factories.order_in_state("approved", acme)
    log_in(client, staff)

    response = client.post(
        f"/orders/{order.id}/notes/", {"version": order.version, "text": "Hi"}, **HTMX
    )

    assert oob_messages(response.content.decode()) == [f"Note added to order {order.number}."]


def test_a_refused_action_adds_no_success_message(client, acme, staff):
    order = factories.order_in_state("draft", acme)
    log_in(client, staff)

    response = client.post(
        f"/orders/{order.id}/transitions/submit/", {"version": order.version + 1}, **HTMX
    )

    assert response.status_code == 409
    assert 'hx-swap-oob="innerHTML"' not in response.content.decode()


def why_not(html: str) -> list[str]:
    block = re.search(r'data-testid="why-not">(.*?)</ul>', html, re.S)
    return (
        [html_lib.unescape(m) for m in re.findall(r"<li>(.*?)</li>", block.group(1))]
        if block
        else []
    )


def test_a_draft_without_lines_says_why_it_cannot_be_submitted(client, staff):
    order = factories.place(staff, line_count=0)
    log_in(client, staff)

    html = client.get(f"/orders/{order.id}/").content.decode()

    assert why_not(html) == ["An order needs at least one line before it can be submitted."]


def test_staff_on_a_held_order_read_that_a_manager_must_resume_or_cancel_it(client, acme, staff):
    order = factories.order_in_state("on_hold", acme)
    log_in(client, staff)

    html = client.get(f"/orders/{order.id}/").content.decode()

    assert why_not(html) == ["A Manager must cancel it.", "A Manager must resume it."]


def test_staff_on_a_submitted_order_read_who_decides(client, acme, staff):
    order = factories.order_in_state("submitted", acme)
    log_in(client, staff)

    html = client.get(f"/orders/{order.id}/").content.decode()

    assert why_not(html) == ["A Manager must approve it.", "A Manager must reject it."]


@pytest.mark.parametrize(("state", "reason"), [
    ("delivered", "This order is complete: it was delivered, nothing more happens to it."),
    ("cancelled", "This order is cancelled: nothing more happens to it."),
])  # fmt: skip
@pytest.mark.parametrize("role", ["Staff", "Manager", "Auditor"])
def test_a_final_order_says_it_is_complete(client, acme, state, reason, role):
    order = factories.order_in_state(state, acme)
    log_in(client, factories.user(role, acme))

    html = client.get(f"/orders/{order.id}/").content.decode()

    # A Manager may still reopen a fresh delivery (a correction, #28): nothing is blocked then.
    reopenable = (state, role) == ("delivered", "Manager")
    assert why_not(html) == ([] if reopenable else [reason])


def test_a_manager_on_an_open_order_reads_no_reasons(client, acme, manager):
    order = factories.order_in_state("approved", acme)
    log_in(client, manager)

    assert why_not(client.get(f"/orders/{order.id}/").content.decode()) == []


def test_the_state_panel_can_take_focus(client, acme, staff):
    order = factories.order_in_state("draft", acme)
    log_in(client, staff)

    html = client.get(f"/orders/{order.id}/").content.decode()

    assert re.search(r'<section id="state-panel"[^>]*tabindex="-1"', html)
