"""Issue #29 §6 in Chromium: printing an order (print media) shows no navigation or buttons;
the confirmation and the packing slip render to PDF, the slip without prices."""

import pytest
from playwright.sync_api import expect

from .helpers import create_order

pytestmark = pytest.mark.e2e


def test_an_order_prints_without_navigation_or_buttons(session):
    page = session.page_as("acme.staff")
    url = create_order(page, "Print Test GmbH", [("BOLT-P", "Bolt", 3, "12.50")])

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_hidden()
    expect(page.locator("#state-panel")).to_be_hidden()
    assert page.locator("button:visible, .btn:visible").count() == 0
    expect(page.get_by_test_id("order-lines")).to_be_visible()

    page.goto(url + "print/")
    expect(page.get_by_test_id("print-total")).to_have_text("€37.50")
    assert page.pdf(format="A4")[:5] == b"%PDF-"
    expect(page.get_by_role("link", name="Back to the order")).to_be_hidden()

    page.goto(url + "print/?document=packing-slip")
    expect(page.get_by_test_id("print-lines")).to_contain_text("BOLT-P")
    expect(page.locator("body")).not_to_contain_text("37.50")
    assert page.pdf(format="A4")[:5] == b"%PDF-"
