"""Issue #29 in Chromium: "12,50" typed as a unit price was saved as 1,250.00 (a number input
drops the comma). Now it is 12.50 for a German user and refused, saying what was understood,
for an English one; nothing is ever silently scaled."""

import pytest
from playwright.sync_api import expect

from .helpers import ORDER_URL, fill_line

pytestmark = pytest.mark.e2e


def choose_language(page, language: str) -> None:
    """My settings → Language and time zone (the form posts to /settings/locale/)."""
    page.goto("/settings/")
    page.locator("#id_language").select_option(language)
    page.get_by_test_id("locale-form").get_by_role("button").click()
    expect(page).to_have_url(f"{page.url.split('/settings/')[0]}/settings/")


def test_12_comma_50_is_12_50_for_a_german_user_and_asked_about_for_an_english_one(session):
    page = session.login("acme.manager2", remember=False)
    try:
        choose_language(page, "de")
        page.goto("/orders/new/")
        page.locator("#id_customer_name").fill("Komma GmbH")
        fill_line(page, 0, "BOLT-DE", "Schraube", 2, "12,50")
        expect(page.locator("#order-total-preview")).to_have_text("25,00")
        page.locator("form button[type=submit]").last.click()
        expect(page).to_have_url(ORDER_URL)
        expect(page.get_by_test_id("order-total")).to_have_text("25,00\xa0€")

        choose_language(page, "en")
        session.problems.expect_status(422)  # the refused form comes back as 422
        page.goto("/orders/new/")
        page.get_by_label("Customer name").fill("Comma Ltd")
        fill_line(page, 0, "BOLT-EN", "Bolt", 2, "12,50")
        page.get_by_role("button", name="Create draft").click()
        expect(page.get_by_text("“12,50” → 12.50?")).to_be_visible()
        expect(page).not_to_have_url(ORDER_URL)
        expect(page.locator("#id_lines-0-unit_price")).to_have_value("12,50")
    finally:
        choose_language(page, "")
