"""The order page: state badge, the role's workflow buttons, transitions and notes over HTTP."""

import datetime as dt
import re

import pytest

from events.models import Event
from orders import commands
from orders.models import Order
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def buttons(html: str) -> set[str]:
    """The workflow actions the page offers (one submit button per action)."""
    return set(re.findall(r'data-action="(\w+)"', html))


def state_shown(html: str) -> str:
    panel = html[html.index('id="state-panel"') :]
    return re.search(r'data-testid="state"><span [^>]*data-state="(\w+)"', panel).group(1)


def transition(client, order, name, version=None, headers=None, **data):
    """POST action `name` as its form does, confirmed (deliver and cancel ask first)."""
    return client.post(
        f"/orders/{order.id}/transitions/{name}/",
        {"version": order.version if version is None else version, "confirmed": "yes", **data},
        **(headers or {}),
    )


def stored(order):
    current = Order.objects.get(pk=order.id)
    return current.state, current.version


# --- what the page shows ----------------------------------------------------------------------


def test_the_order_page_shows_the_lines_total_and_state_badge(client, acme, staff):
    order = factories.order_in_state("submitted", acme)
    log_in(client, staff)

    response = client.get(f"/orders/{order.id}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert state_shown(html) == "submitted"
    assert ">Submitted</span>" in html
    assert "ACME-000001" in html
    assert re.search(r'data-testid="order-total">€31.97<', html)
    assert '<td class="mono">SKU-1</td>' in html


@pytest.mark.parametrize(
    ("role", "state", "expected"),
    [
        ("Staff", "draft", {"submit", "cancel"}),
        ("Manager", "draft", {"submit", "cancel"}),
        ("Staff", "submitted", {"cancel"}),
        ("Manager", "submitted", {"approve", "reject", "cancel"}),
        ("Staff", "approved", {"start_fulfilment", "hold"}),
        ("Manager", "approved", {"start_fulfilment", "hold", "cancel"}),
        ("Staff", "in_fulfilment", {"ship", "hold"}),
        ("Staff", "shipped", {"deliver"}),
        ("Staff", "on_hold", set()),
        ("Manager", "on_hold", {"resume", "cancel"}),
        ("Manager", "delivered", {"reopen"}),  # a correction, within the company's window
        ("Manager", "cancelled", set()),
    ],
)
def test_the_page_offers_exactly_the_transitions_the_role_may_take_now(
    client, acme, role, state, expected
):
    order = factories.order_in_state(state, acme)
    user = factories.user(role, acme)
    log_in(client, user)

    html = client.get(f"/orders/{order.id}/").content.decode()

    assert buttons(html) == expected
    if not expected:
        assert "No workflow actions are open to you in this state." in html


def test_a_draft_without_lines_offers_no_submit_button(client, staff):
    order = factories.place(staff, line_count=0)
    log_in(client, staff)

    html = client.get(f"/orders/{order.id}/").content.decode()

    assert buttons(html) == {"cancel"}


@pytest.mark.parametrize("role", ["Auditor", "Ops"])
def test_a_read_only_role_sees_no_buttons_no_note_form_and_says_read_only(client, acme, role):
    order = factories.order_in_state("submitted", acme)
    user = factories.user(role, acme)
    log_in(client, user)

    html = client.get(f"/orders/{order.id}/").content.decode()

    assert buttons(html) == set()
    assert "Your role is read-only." in html
    assert f"/orders/{order.id}/notes/" not in html
    assert "Edit draft" not in html


def test_only_a_draft_offers_the_edit_link(client, acme, staff):
    draft = factories.order_in_state("draft", acme)
    submitted = factories.order_in_state("submitted", acme)
    log_in(client, staff)

    assert f'href="/orders/{draft.id}/edit/"' in client.get(f"/orders/{draft.id}/").content.decode()
    html = client.get(f"/orders/{submitted.id}/").content.decode()
    assert f"/orders/{submitted.id}/edit/" not in html


# --- transitions ------------------------------------------------------------------------------


def test_a_transition_without_htmx_redirects_to_the_order_with_303(client, acme, manager):
    order = factories.order_in_state("submitted", acme)
    log_in(client, manager)

    response = transition(client, order, "approve")

    assert response.status_code == 303
    assert response["Location"] == f"/orders/{order.id}/"
    assert stored(order) == ("approved", order.version + 1)


def test_a_transition_with_htmx_answers_the_state_panel_and_an_out_of_band_timeline(
    client, acme, manager
):
    order = factories.order_in_state("submitted", acme)
    log_in(client, manager)

    response = transition(client, order, "reject", headers=HTMX, reason="Wrong price")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="state-panel"')
    assert re.search(r'<ol id="timeline"[^>]*hx-swap-oob="true"', html)
    assert state_shown(html) == "draft"
    assert "Submitted → Draft (reason: Wrong price)" in html
    assert buttons(html) == {"submit", "cancel"}  # the panel offers the next moves
    assert f'name="version" value="{order.version + 1}"' in html
    assert stored(order) == ("draft", order.version + 1)


def test_ship_records_the_carrier_and_tracking_number(client, acme, staff):
    order = factories.order_in_state("in_fulfilment", acme)
    log_in(client, staff)

    response = transition(client, order, "ship", carrier="UPS", tracking_number="1Z999")

    assert response.status_code == 303
    event = Event.objects.get(stream_id=order.id, version=order.version + 1)
    assert (event.event_type, event.payload["carrier"], event.payload["tracking_number"]) == (
        "OrderShipped",
        "UPS",
        "1Z999",
    )


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["full-page", "htmx"])
def test_a_stale_version_is_a_409_with_the_conflict_message_and_a_reload_link(
    client, acme, manager, headers
):
    order = factories.order_in_state("submitted", acme)
    log_in(client, manager)
    events_before = Event.objects.count()

    response = transition(client, order, "approve", version=order.version - 1, headers=headers)

    assert response.status_code == 409
    html = response.content.decode()
    assert "changed since your page showed it" in html
    assert f"you saw version {order.version - 1}, it is now at version {order.version}" in html
    assert re.search(rf'<a [^>]*href="/orders/{order.id}/" data-reload>Reload the order</a>', html)
    assert Event.objects.count() == events_before
    assert stored(order) == ("submitted", order.version)


def test_a_transition_the_role_may_not_take_is_403_with_a_message(client, acme, staff):
    order = factories.order_in_state("submitted", acme)
    log_in(client, staff)
    events_before = Event.objects.count()

    response = transition(client, order, "approve", headers=HTMX)

    assert response.status_code == 403
    assert "A Manager must approve it." in response.content.decode()
    assert Event.objects.count() == events_before


def test_a_transition_the_state_does_not_allow_is_422_with_a_message(client, acme, manager):
    order = factories.order_in_state("approved", acme)
    log_in(client, manager)
    events_before = Event.objects.count()

    response = transition(client, order, "submit")

    assert response.status_code == 422
    assert "Order ACME-000001 is approved: it cannot be submitted now." in response.content.decode()
    assert Event.objects.count() == events_before


def test_submitting_a_draft_without_lines_is_422_with_the_reason(client, staff):
    order = factories.place(staff, line_count=0)
    log_in(client, staff)

    response = transition(client, order, "submit")

    assert response.status_code == 422
    assert "needs at least one line" in response.content.decode()
    assert Event.objects.count() == 1


def test_an_unknown_transition_name_is_404_and_writes_nothing(client, acme, manager):
    order = factories.order_in_state("submitted", acme)
    log_in(client, manager)
    events_before = Event.objects.count()

    response = transition(client, order, "teleport")

    assert response.status_code == 404
    assert Event.objects.count() == events_before


@pytest.mark.parametrize(
    ("state", "name", "data", "missing"),
    [
        ("submitted", "reject", {}, ["reason"]),
        ("submitted", "reject", {"reason": "   "}, ["reason"]),
        ("approved", "hold", {}, ["reason"]),
        ("draft", "cancel", {}, ["reason"]),
        ("in_fulfilment", "ship", {}, ["carrier", "tracking_number"]),
        ("in_fulfilment", "ship", {"carrier": "UPS"}, ["tracking_number"]),
    ],
    ids=["reject", "reject-blank", "hold", "cancel", "ship", "ship-no-tracking"],
)
def test_an_action_missing_its_data_is_422_with_the_field_error_and_writes_nothing(
    client, acme, manager, state, name, data, missing
):
    order = factories.order_in_state(state, acme)
    log_in(client, manager)
    events_before = Event.objects.count()

    response = transition(client, order, name, headers=HTMX, **data)

    assert response.status_code == 422
    html = response.content.decode()
    for field in missing:
        assert re.search(
            rf'id="id_{name}_{field}_error"[^>]*>\s*<p[^>]*><strong>This field is required.', html
        ), field
    assert re.search(
        rf"<details [^>]*open>\s*<summary[^>]*>[^<]*</summary>\s*<form [^>]*{name}/", html
    )
    assert Event.objects.count() == events_before
    assert stored(order) == (state, order.version)


def test_a_transition_without_a_version_is_422_and_writes_nothing(client, acme, manager):
    order = factories.order_in_state("submitted", acme)
    log_in(client, manager)

    response = client.post(f"/orders/{order.id}/transitions/approve/", {})

    assert response.status_code == 422
    assert stored(order) == ("submitted", order.version)


@pytest.mark.parametrize("role", ["Auditor", "Ops"])
def test_a_read_only_role_may_not_post_a_transition(client, acme, role):
    order = factories.order_in_state("submitted", acme)
    user = factories.user(role, acme)
    log_in(client, user)
    events_before = Event.objects.count()

    response = transition(client, order, "approve")

    assert response.status_code == 403
    assert Event.objects.count() == events_before


def test_a_transition_is_post_only(client, acme, manager):
    order = factories.order_in_state("submitted", acme)
    log_in(client, manager)

    assert client.get(f"/orders/{order.id}/transitions/approve/").status_code == 405


# --- notes ------------------------------------------------------------------------------------


def test_adding_a_note_records_a_note_added_event_and_redirects(client, staff):
    order = factories.place(staff)
    log_in(client, staff)

    response = client.post(
        f"/orders/{order.id}/notes/", {"version": order.version, "text": "Call first"}
    )

    assert response.status_code == 303
    assert response["Location"] == f"/orders/{order.id}/"
    event = Event.objects.get(stream_id=order.id, version=order.version + 1)
    assert (event.event_type, event.opened_payload()) == ("NoteAdded", {"text": "Call first"})


def test_a_note_added_with_htmx_appears_in_the_out_of_band_timeline(client, acme, manager):
    order = factories.order_in_state("shipped", acme)
    log_in(client, manager)

    response = client.post(
        f"/orders/{order.id}/notes/", {"version": order.version, "text": "Left at door"}, **HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    timeline = html[html.index('<ol id="timeline"') :]
    assert "Note: Left at door" in timeline
    assert f'name="version" value="{order.version + 1}"' in html


def test_an_empty_note_is_422_and_writes_nothing(client, staff):
    order = factories.place(staff)
    log_in(client, staff)

    response = client.post(f"/orders/{order.id}/notes/", {"version": order.version, "text": ""})

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert Event.objects.count() == 1


def test_a_note_on_a_stale_version_is_409_and_writes_nothing(client, staff):
    order = factories.place(staff)
    log_in(client, staff)
    client.post(f"/orders/{order.id}/notes/", {"version": order.version, "text": "first"})

    response = client.post(f"/orders/{order.id}/notes/", {"version": order.version, "text": "2"})

    assert response.status_code == 409
    assert Event.objects.filter(stream_id=order.id).count() == 2


@pytest.mark.parametrize("role_fixture", ["auditor", "ops"])
def test_a_read_only_role_may_not_add_a_note(client, staff, request, role_fixture):
    order = factories.place(staff)
    log_in(client, request.getfixturevalue(role_fixture))

    response = client.post(f"/orders/{order.id}/notes/", {"version": order.version, "text": "x"})

    assert response.status_code == 403
    assert Event.objects.count() == 1


def test_a_timeline_entry_shows_when_who_and_what_in_the_company_time_zone(client, staff):
    staff.company.time_zone = "Europe/Berlin"
    staff.company.save()
    order = factories.place(staff, at=dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC))
    log_in(client, staff)

    html = client.get(f"/orders/{order.id}/").content.decode()

    timeline = html[html.index('id="timeline"') :]
    assert re.search(
        r'<li data-event-type="OrderPlaced"><div class="small text-body-secondary">'
        r'<span class="text-nowrap">happened <time datetime="2025-01-01T13:00:00\+01:00" '
        r'title="UTC\+01:00 Europe/Berlin">2025-01-01 13:00:00 CET</time></span> '
        r'<span class="d-block small text-body-secondary" data-testid="recorded-at">recorded '
        r"<time [^>]+>[^<]+</time></span> · "
        rf'<strong class="text-body" data-testid="actor">{staff.username}</strong> · #\d+</div>'
        r"<div>Placed ACME-000001 for Initech with 2 lines</div></li>",
        timeline,
    )


def test_user_text_is_escaped_on_the_order_page(client, staff):
    order = factories.place(staff, customer="<script>alert(1)</script>")
    factories.log_in(client, staff)
    client.post(f"/orders/{order.id}/notes/", {"version": order.version, "text": "<b>hi</b>"})

    html = client.get(f"/orders/{order.id}/").content.decode()

    assert "<script>alert" not in html and "<b>hi" not in html
    assert "Placed ACME-000001 for &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Note: &lt;b&gt;hi&lt;/b&gt;" in html


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["full-page", "htmx"])
def test_a_reason_typed_for_an_action_that_closed_meanwhile_is_kept_and_who_closed_it_named(
    client, acme, manager, headers
):
    order = factories.order_in_state("submitted", acme)
    commands.approve(order.id, actor=manager, expected_version=order.version)  # another window
    log_in(client, manager)

    response = transition(
        client, order, "reject", version=order.version, headers=headers, reason="Price too low"
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert re.search(
        r"ACME-000001 was approved by you in another window at \d\d:\d\d\. This order was changed",
        html,
    )
    kept = re.search(r'data-testid="unsaved-text">(.*?)</div>', html, re.S)
    assert kept and "Price too low" in kept.group(1)


def test_a_note_typed_on_a_stale_page_is_kept_in_the_note_box(client, acme, staff, manager):
    order = factories.order_in_state("submitted", acme)
    commands.approve(order.id, actor=manager, expected_version=order.version)
    log_in(client, staff)

    response = client.post(
        f"/orders/{order.id}/notes/", {"version": order.version, "text": "Ring twice"}, **HTMX
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "was approved by acme.manager at" in html
    assert re.search(r"<textarea[^>]*name=\"text\"[^>]*>\s*Ring twice</textarea>", html)


def test_the_page_reads_the_orders_key_once_not_once_per_event(client, acme, staff, manager):
    """The key store was asked once per sealed event of the history (seven for a shipped order)."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from events import keystore

    order = factories.advance(factories.place(staff), "approved", staff=staff, manager=manager)
    commands.add_note(order.id, actor=staff, text="Call first", expected_version=order.version)
    log_in(client, staff)
    keys = connections[keystore.ALIAS]
    with CaptureQueriesContext(keys) as queries:
        assert client.get(f"/orders/{order.id}/").status_code == 200
    key_reads = [q for q in queries.captured_queries if "subject_key" in q["sql"]]
    assert len(key_reads) == 1
