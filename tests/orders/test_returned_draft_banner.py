"""Issue #32 (staff's day): a draft sent back by a rejection says why, on the draft itself."""

import re

import pytest

from orders import commands
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def banner(html: str) -> str:
    match = re.search(r'data-testid="returned-banner"[^>]*>(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip() if match else ""


@pytest.fixture
def returned(acme, staff, manager):
    order = factories.order_in_state("submitted", acme)
    return commands.transition(
        order.id, "reject", actor=manager, expected_version=order.version, reason="Price too low"
    )


def test_a_returned_draft_shows_the_rejection_reason_and_who_sent_it_back(client, staff, returned):
    log_in(client, staff)

    html = client.get(f"/orders/{returned.id}/").content.decode()

    text = banner(html)
    assert "Sent back by acme.manager" in text
    assert "Price too low" in text
    assert 'role="status"' in html[html.index('data-testid="returned-banner"') - 200 :]


def test_the_edit_form_of_a_returned_draft_shows_the_reason_too(client, staff, returned):
    log_in(client, staff)

    html = client.get(f"/orders/{returned.id}/edit/").content.decode()

    assert "Price too low" in banner(html)


def test_the_banner_goes_once_the_draft_is_submitted_again(client, staff, returned):
    commands.transition(returned.id, "submit", actor=staff, expected_version=returned.version)
    log_in(client, staff)

    html = client.get(f"/orders/{returned.id}/").content.decode()

    assert banner(html) == ""


def test_a_fresh_draft_has_no_banner(client, staff):
    order = factories.place(staff)
    log_in(client, staff)

    assert banner(client.get(f"/orders/{order.id}/").content.decode()) == ""


def test_the_manager_who_rejects_sees_the_banner_in_the_updated_panels(client, acme, manager):
    order = factories.order_in_state("submitted", acme)
    log_in(client, manager)

    response = client.post(
        f"/orders/{order.id}/transitions/reject/",
        {"version": order.version, "reason": "Wrong address"},
        **HTMX,
    )

    assert response.status_code == 200
    assert "Wrong address" in banner(response.content.decode())
