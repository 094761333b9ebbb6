"""axe-core finds no accessibility violation on the main pages, in English and in German (the
browser's language decides for the demo users, who chose none: issue #29)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PAGES = (
    "/",
    "/orders/",
    "/orders/new/",
    "/orders/controls/",
    "/audit/",
    "/audit/controls/",
    "/team/",
    "/settings/",
    "/accounts/password_change/",
)
LANGUAGES = {"en-GB": ("en", "Orders"), "de-DE": ("de", "Bestellungen")}


def violations(page, axe: Axe) -> list[str]:
    results = axe.run(page)
    return [
        f"{v['id']} ({len(v['nodes'])}): {v['nodes'][0]['target']}"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_the_main_pages_have_no_accessibility_violations(session, locale):
    language, orders = LANGUAGES[locale]
    signed_in = session.page_as("acme.manager").context.storage_state()
    page = session.new_page(storage_state=signed_in, locale=locale)
    page.goto("/orders/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(orders)
    order = page.locator("#order-table tbody a.mono").first.get_attribute("href")
    axe = Axe()

    found = {}
    for path in (*PAGES, order, f"{order}history/"):
        page.goto(path)
        found[path] = violations(page, axe)

    assert {path: v for path, v in found.items() if v} == {}


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_the_login_page_has_no_accessibility_violations(session, locale):
    page = session.new_page(locale=locale)
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", LANGUAGES[locale][0])

    assert violations(page, Axe()) == []
