"""Issue #19 in a real browser: the pages at phone size (390 px), and bulk actions' choices."""

import itertools
import re

import pytest
from playwright.sync_api import expect

from .helpers import create_order

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def at_phone_size(page, url: str):
    page.set_viewport_size(PHONE)
    page.goto(url)
    return page


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_the_list_on_a_phone_folds_the_filters_and_shows_one_card_per_order(session):
    page = at_phone_size(session.page_as("acme.staff"), "/orders/")
    panel = page.locator("details.filter-panel")
    expect(panel).not_to_have_attribute("open", re.compile(".*"))
    expect(page.locator("#order-filter")).to_be_hidden()
    page.get_by_text("Filters", exact=True).click()
    expect(page.locator("#order-filter")).to_be_visible()

    rows = page.locator("#order-table tbody tr")
    assert rows.count() > 1
    first = rows.first
    assert first.evaluate("tr => getComputedStyle(tr).display") == "block"
    box = first.bounding_box()
    assert box["width"] > 300, box  # a card across the screen, not a squeezed table row
    expect(first.locator("td[data-label=Customer]")).to_be_visible()
    assert page.locator("#order-table thead").bounding_box()["height"] <= 1
    page.get_by_label("Select all on this page").check()  # reachable without the header
    assert page.locator("input[name=orders]:checked").count() == rows.count()
    assert no_sideways_scroll(page)


def test_the_order_page_on_a_phone_shows_the_state_panel_and_actions_before_the_lines(session):
    staff = session.page_as("acme.staff")
    url = create_order(staff, "Phone Floor Ltd", [("BOX-S", "Small box", 2, "1.50")])
    page = at_phone_size(staff, url)
    panel = page.locator("#state-panel").bounding_box()
    lines = page.get_by_test_id("order-lines").bounding_box()
    assert panel["y"] + panel["height"] <= lines["y"], (panel, lines)
    expect(page.locator("#state-panel").get_by_text("Submit")).to_be_visible()
    assert no_sideways_scroll(page)


def test_the_dashboard_chart_labels_are_readable_on_a_phone(session):
    page = at_phone_size(session.page_as("acme.manager"), "/?period=90")
    labels = page.locator("[data-testid=chart] text.bar-label")
    assert labels.count() >= 2
    heights = labels.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert min(heights) >= 9, heights  # CSS pixels on the screen, after the SVG is scaled
    boxes = labels.evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; })"
    )
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(boxes)), boxes  # no overlap
    assert no_sideways_scroll(page)


def test_bulk_actions_offer_only_what_every_ticked_order_allows(session):
    page = session.page_as("acme.manager")
    page.goto("/orders/?state=submitted&state=on_hold")
    bar = page.get_by_test_id("bulk-actions")
    expect(bar).to_be_hidden()  # nothing ticked: no bar
    action = page.locator("#bulk-form select[name=action]")
    submitted = page.locator("tr:has([data-state=submitted]) input[name=orders]").first
    held = page.locator("tr:has([data-state=on_hold]) input[name=orders]").first

    submitted.check()
    expect(bar).to_be_visible()  # appears when a row is ticked
    expect(action.locator("option[value=approve]")).to_be_enabled()
    expect(action.locator("option[value=resume]")).to_be_disabled()
    held.check()
    expect(action.locator("option[value=approve]")).to_be_disabled()
    expect(action.locator("option[value=cancel]")).to_be_enabled()  # both may be cancelled
    why = page.get_by_test_id("bulk-why")
    expect(why.locator("li[data-action=approve]")).to_have_text(
        "Approve not for 1 of the 2 ticked orders: "
        "It is on hold: only Submitted orders can be approved."
    )
    expect(why.locator("li[data-action=resume]")).to_contain_text("not for 1 of the 2")
    expect(why.locator("li[data-action=cancel]")).to_have_count(0)
    submitted.uncheck()
    held.uncheck()
    expect(bar).to_be_hidden()

    page.get_by_label("Select all on this page").check()
    ticked = page.locator("input[name=orders]:checked").count()
    assert ticked == page.locator("input[name=orders]").count()
