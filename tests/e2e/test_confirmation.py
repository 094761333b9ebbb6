"""Issue #28 in a real browser: bulk actions and the irreversible ask first, with the count and
the orders concerned."""

import re

import pytest
from playwright.sync_api import expect

from .helpers import act, create_order, state_badge

pytestmark = pytest.mark.e2e


def test_a_bulk_action_asks_with_the_count_and_the_orders_then_does_it(session):
    page = session.page_as("acme.staff")
    for customer in ("Bulk One Ltd", "Bulk Two Ltd"):
        create_order(page, customer, [("BOX-1", "Box", 1, "3.00")])
    page.goto("/orders/?state=draft&q=Bulk")
    rows = page.locator("#order-table tbody tr")
    expect(rows).to_have_count(2)
    numbers = [rows.nth(i).locator("a.mono").first.inner_text().strip() for i in range(2)]
    page.get_by_label("Select all on this page").check()
    page.locator("#bulk-form select[name=action]").select_option("cancel")
    page.locator("#bulk-form textarea[name=reason]").fill("Duplicate drafts")
    page.locator("#bulk-form").get_by_role("button", name="Apply to the ticked orders").click()

    expect(page.get_by_test_id("bulk-confirm-count")).to_contain_text("2 orders")
    listed = page.get_by_test_id("bulk-confirm-orders")
    for number in numbers:
        expect(listed).to_contain_text(number)
    page.get_by_test_id("bulk-confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel order: 2 of 2 done")
    page.goto("/orders/?state=cancelled&q=Bulk")
    for number in numbers:
        expect(page.locator("#order-table")).to_contain_text(number)


def test_marking_an_order_cancelled_asks_in_a_dialog_first(session):
    page = session.page_as("acme.staff")
    create_order(page, "Dialog Ltd", [("CUP-1", "Cup", 1, "2.00")])
    panel = page.locator("#state-panel")
    details = panel.locator("details", has=page.locator("button[data-action=cancel]"))
    details.locator("summary").click()
    panel.locator("#id_cancel_reason").fill("Not needed")
    with page.expect_response(re.compile(r"/transitions/cancel/$")):
        panel.locator("button[data-action=cancel]").click()

    dialog = panel.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("This cannot be undone")
    expect(state_badge(page)).to_have_text("Draft")
    act(page, "submit")
    expect(state_badge(page)).to_have_text("Submitted")
