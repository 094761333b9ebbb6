"""htmx settling under the strict CSP: swapping an element must not copy its `style` attribute
(style-src-attr is not allowed, so each copy is a CSP violation). The session's `problems`
fixture fails the test on any securitypolicyviolation; the flows below also check it directly."""

import re

import pytest
from playwright.sync_api import expect

from .helpers import create_order

pytestmark = pytest.mark.e2e


def violations(page) -> list:
    return page.evaluate("window.__csp")


def test_resizing_the_note_box_then_adding_a_note_violates_no_policy(session):
    page = session.page_as("acme.staff")
    create_order(page, "CSP Settle Ltd", [("BOLT-M8", "M8 hex bolt", 1, "1.00")])
    note = page.locator("#state-panel").get_by_label("Note")
    # What dragging the resize handle does: the browser writes the height into style="…".
    note.evaluate("el => { el.style.height = '140px'; }")
    note.fill("Resized, then sent")

    with page.expect_response(re.compile(r"/notes?/")):
        page.get_by_role("button", name="Add note").click()

    expect(page.locator("#state-panel")).to_be_visible()
    assert violations(page) == []


# What a browser extension or autofill does to form fields (a password manager or spell checker
# writes style="…" on each input): the page cannot prevent it, so swaps must not copy it.
STYLE_EVERY_INPUT = (
    "() => document.querySelectorAll('#main input, #main select')"
    ".forEach((el) => { el.style.backgroundImage = 'none'; })"
)


def test_filtering_searching_sorting_and_going_back_violates_no_policy(session):
    page = session.page_as("acme.manager")
    page.goto("/orders/")
    page.evaluate(STYLE_EVERY_INPUT)
    with page.expect_response(re.compile(r"state=delivered")):
        page.get_by_role("checkbox", name="Delivered").check()
    with page.expect_response(re.compile(r"[?&]q=")):
        page.get_by_label("Customer, order number, reference, e-mail or SKU").press_sequentially(
            "Ac"
        )
    with page.expect_response(re.compile(r"sort=-total")):
        page.get_by_label("Sort by").select_option(label="Total (descending)")
    expect(page).to_have_url(re.compile(r"sort=-total"))

    # Back restores each page through htmx (the history cache is off): wait for each restore.
    page.evaluate(
        "document.addEventListener('htmx:historyRestore', () => {"
        " window.__restores = (window.__restores || 0) + 1; })"
    )
    page.go_back()
    page.wait_for_function("() => window.__restores === 1")
    expect(page).not_to_have_url(re.compile(r"sort=-total"))
    page.go_back()
    page.wait_for_function("() => window.__restores === 2")
    expect(page).to_have_url(re.compile(r"state=delivered"))

    assert violations(page) == []
