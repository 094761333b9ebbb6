"""Issue #32 in Chromium at 1280 and 390 px: the list's last column is not cut off, order lines
can be entered on a phone, scrollable regions are focusable, leaving the order form with
unsaved typing asks first, and axe-core finds no WCAG 2.1 AA violation on any page."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .helpers import ORDER_URL, axe_violations, create_order, fill_line, nav

pytestmark = pytest.mark.e2e

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = {"1280": WIDE, "390": PHONE}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_the_lists_last_column_is_not_cut_off_at_1280(session):
    page = session.page_as("acme.manager")
    page.set_viewport_size(WIDE)
    page.goto("/orders/")

    region = page.locator("#order-table .table-responsive")
    sizes = region.evaluate("el => [el.scrollWidth, el.clientWidth]")
    last = page.locator("#order-table thead th").last.bounding_box()
    box = region.bounding_box()
    assert sizes[0] <= sizes[1], sizes
    assert last["x"] + last["width"] <= box["x"] + box["width"] + 0.5, (last, box)
    assert no_sideways_scroll(page)


def test_order_lines_can_be_entered_on_a_phone(session):
    page = session.page_as("acme.staff")
    page.set_viewport_size(PHONE)
    page.goto("/orders/new/")

    widths = {
        name: page.locator(f"#id_lines-0-{name}").bounding_box()["width"]
        for name in ("sku", "description", "quantity", "unit_price")
    }
    assert widths["sku"] >= 120 and widths["description"] >= 120, widths
    assert widths["quantity"] >= 70 and widths["unit_price"] >= 90, widths
    assert no_sideways_scroll(page)
    page.get_by_label("Customer name").fill("Phone Lines Ltd")
    fill_line(page, 0, "PIPE-22", "Copper pipe 22 mm", 12, "4.35")
    page.get_by_role("button", name="Add line").click()
    fill_line(page, 1, "ELBOW-22", "Elbow 22 mm", 4, "1.10")
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Create draft").click()
    expect(page).to_have_url(ORDER_URL)
    expect(page.get_by_test_id("order-total")).to_contain_text("56.60")


@pytest.mark.parametrize("size", SIZES)
def test_scrollable_regions_can_be_reached_with_the_keyboard(session, size):
    staff = session.page_as("acme.staff")
    staff.set_viewport_size(SIZES[size])
    lines = [("WIDE-SKU-0001", "A long description " * 3, 1, "1.00")]
    create_order(staff, f"Scroll Region {size} GmbH", lines)
    ops = session.page_as("acme.ops")
    ops.set_viewport_size(SIZES[size])
    ops.goto("/ops/")

    for page in (staff, ops):
        for region in page.locator(".table-responsive, pre").all():
            if region.evaluate("el => el.scrollWidth > el.clientWidth"):
                assert region.get_attribute("tabindex") == "0"
                assert region.get_attribute("aria-label") or region.get_attribute("aria-labelledby")
    region = staff.get_by_test_id("order-lines-region")
    assert region.get_attribute("tabindex") == "0"
    assert region.get_attribute("aria-label") == "Order lines"


def test_leaving_the_order_form_with_unsaved_typing_asks_first(session):
    page = session.page_as("acme.staff")
    page.goto("/orders/new/")
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # "stay on the page"

    page.on("dialog", answer)
    nav(page).get_by_role("link", name="Orders").click()  # nothing typed: leaves at once
    expect(page).to_have_url(re.compile(r"/orders/$"))
    assert asked == []

    page.goto("/orders/new/")
    page.get_by_label("Customer name").fill("Half Typed Ltd")
    nav(page).get_by_role("link", name="Orders").click()
    page.wait_for_timeout(300)  # the dialog is answered synchronously by `answer`
    assert asked == ["beforeunload"]
    assert page.url.endswith("/orders/new/")
    expect(page.get_by_label("Customer name")).to_have_value("Half Typed Ltd")

    fill_line(page, 0, "CUP-1", "Cup", 1, "2.00")
    page.get_by_role("button", name="Create draft").click()  # sending the form does not ask
    expect(page).to_have_url(ORDER_URL)
    assert asked == ["beforeunload"]


PAGES = {
    "acme.manager": [
        "/",
        "/orders/",
        "/orders/?state=submitted",
        "/orders/?per_page=7",  # the invalid-filter alert
        "/orders/new/",
        "{order}",
        "{order}history/",
        "{order}history/?version=1",  # the later events greyed
        "/orders/views/",
        "/orders/import/",
        "/orders/controls/",
        "/audit/",
        "/audit/controls/",
        "/team/",
        "/team/api-keys/",
        "/team/sign-in/",
        "/integrations/",
        "/settings/",
        "/accounts/password_change/",
    ],
    "acme.ops": ["/ops/"],
}


@pytest.mark.parametrize("size", SIZES)
def test_axe_finds_no_violations_on_any_page(session, size):
    axe = Axe()
    anonymous = session.new_page()
    anonymous.set_viewport_size(SIZES[size])
    found = {}
    for path in ("/accounts/login/", "/accounts/password_reset/"):
        anonymous.goto(path)
        found[path] = axe_violations(axe, anonymous)
    manager = session.page_as("acme.manager")
    manager.set_viewport_size(SIZES[size])
    order = create_order(manager, f"Axe Checked {size} Ltd", [("AXE-1", "Checked", 1, "1.00")])
    order_path = re.sub(r"^https?://[^/]+", "", order)
    session.problems.expect_status(400)  # the invalid filter
    for username, paths in PAGES.items():
        page = manager if username == "acme.manager" else session.page_as(username)
        page.set_viewport_size(SIZES[size])
        for path in paths:
            page.goto(path.format(order=order_path))
            found[path] = axe_violations(axe, page)
    assert {path: v for path, v in found.items() if v} == {}


def test_as_of_links_are_named_by_their_visible_text(session):
    page = session.page_as("acme.manager")
    order = create_order(page, "As Of Names Ltd", [("NAME-1", "Named", 1, "1.00")])
    page.goto(order + "history/")

    link = page.get_by_test_id("as-of-link").first
    assert link.get_attribute("aria-label") is None
    expect(page.get_by_role("link", name=re.compile(r"^as of this event #\d+$"))).to_have_count(
        page.get_by_test_id("as-of-link").count()
    )
