"""The order form's auto-complete in Chromium (issue #30): typing part of a customer's name
offers the company's customers, a pick fills the customer's details (still editable); typing a
SKU offers the SKUs, a pick fills the line's description and price; the order records the
customer and shows on the customer's page."""

import pytest
from playwright.sync_api import expect

from .helpers import ORDER_URL

pytestmark = pytest.mark.e2e


def test_picking_a_customer_and_a_sku_fills_the_order_form(session):
    page = session.page_as("acme.staff")
    page.goto("/orders/new/")

    page.get_by_label("Customer from your list").press_sequentially("hooli", delay=30)
    pick = page.locator("#customer-matches [data-customer-pick]", has_text="Hooli Hardware")
    expect(pick).to_be_visible()
    pick.click()
    expect(page.get_by_label("Customer name")).to_have_value("Hooli Hardware")
    expect(page.get_by_label("Customer e-mail")).to_have_value("purchasing@hooli.example")
    expect(page.locator("#customer-matches [data-customer-pick]")).to_have_count(0)
    page.get_by_label("Customer name").fill("Hooli Hardware (Berlin)")  # still editable

    page.locator("#id_lines-0-sku").press_sequentially("bolt", delay=30)
    sku = page.locator("#sku-matches [data-sku-pick]", has_text="BOLT-M8")
    expect(sku).to_be_visible()
    sku.click()
    expect(page.locator("#id_lines-0-sku")).to_have_value("BOLT-M8")
    expect(page.locator("#id_lines-0-description")).to_have_value("M8 hex bolt, box of 100")
    expect(page.locator("#id_lines-0-unit_price")).to_have_value("12.40")
    page.locator("#id_lines-0-quantity").fill("3")
    expect(page.locator("#order-total-preview")).to_have_text("37.20")

    page.get_by_role("button", name="Create draft").click()
    expect(page).to_have_url(ORDER_URL)
    number = page.locator("h1").inner_text()
    expect(page.get_by_text("Hooli Hardware (Berlin)").first).to_be_visible()

    page.goto("/customers/?q=hooli")
    page.get_by_role("link", name="Hooli Hardware").click()
    expect(page.get_by_test_id("orders")).to_contain_text(number)
