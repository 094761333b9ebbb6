"""Create draft, Back, Create draft again in Chromium: the form comes back refilled (new
order_id: the page is not cached), and sending it again must not make a second order."""

import re
import secrets

import pytest
from playwright.sync_api import expect

from .helpers import ORDER_URL, fill_line

pytestmark = pytest.mark.e2e


def orders_for(page, customer: str) -> int:
    page.goto(f"/orders/?q={customer}")
    return int(page.get_by_test_id("result-count").inner_text().split()[0])


def test_create_draft_back_and_create_again_makes_one_order_unless_confirmed(session):
    customer = f"Back Twice {secrets.token_hex(3)}"
    page = session.page_as("acme.staff")
    page.goto("/orders/new/")
    page.get_by_label("Customer name").fill(customer)
    fill_line(page, 0, "BACK-1", "Sent twice?", 2, "3.00")
    page.get_by_role("button", name="Create draft").click()
    expect(page).to_have_url(ORDER_URL)

    page.go_back()
    expect(page.get_by_label("Customer name")).to_have_value(customer)  # Chromium refilled it
    session.problems.expect_status(409)
    page.get_by_role("button", name="Create draft").click()

    expect(page.get_by_text(re.compile(r"You placed ACME-\d+ for " + customer))).to_be_visible()
    confirm = page.get_by_role("checkbox", name="Create another anyway")
    expect(confirm).to_be_visible()
    current = page.url
    assert orders_for(page, customer) == 1

    page.goto(current)  # (the list check navigated away) a fresh form, filled the same way
    page.get_by_label("Customer name").fill(customer)
    fill_line(page, 0, "BACK-1", "Sent twice?", 2, "3.00")
    page.get_by_role("button", name="Create draft").click()
    page.get_by_role("checkbox", name="Create another anyway").check()
    page.get_by_role("button", name="Create draft").click()
    expect(page).to_have_url(ORDER_URL)
    assert orders_for(page, customer) == 2
