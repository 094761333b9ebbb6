"""The dashboard: counts per state, the SVG chart, and its 30-second htmx refresh."""

import re

import pytest
from playwright.sync_api import expect

from tests.orders.workflow_spec import STATES

from .helpers import act, create_order, mark_document, same_document, state_badge

pytestmark = pytest.mark.e2e


def counts(page) -> dict[str, int]:
    return {s: int(page.get_by_test_id(f"count-{s}").inner_text()) for s in STATES}


def test_dashboard_shows_counts_and_chart_and_refreshes_itself(session):
    staff = session.page_as("acme.staff")
    order_url = create_order(staff, "Dashboard Watchers", [("GLOVE-L", "Work gloves", 5, "4.20")])

    manager = session.page_as("acme.manager")
    # A controllable clock (installed through DevTools, not page script) lets the test run the
    # page's real "every 30s" poll at once instead of waiting half a minute.
    manager.clock.install()
    manager.goto("/")
    expect(manager.get_by_role("heading", name="Dashboard")).to_be_visible()
    cards = manager.get_by_test_id("state-cards").locator("a.card")
    expect(cards).to_have_count(len(STATES))
    before = counts(manager)
    assert before["draft"] >= 1
    assert sum(before.values()) >= 20
    # Each card links to the order list filtered by its state.
    expect(cards.first).to_have_attribute("href", re.compile(r"/orders/\?state=draft$"))

    chart = manager.get_by_test_id("chart")
    expect(chart).to_be_visible()
    assert chart.evaluate("svg => svg.namespaceURI") == "http://www.w3.org/2000/svg"
    assert manager.locator("[data-testid=chart] rect.bar-placed").count() == 30
    heights = manager.locator("[data-testid=chart] rect.bar-placed").evaluate_all(
        "rects => rects.map(r => r.getBBox().height)"
    )
    assert max(heights) > 0, "the chart draws bars"
    expect(manager.get_by_test_id("cycle-time")).not_to_have_text("—")

    # Someone else submits the draft ...
    act(staff, "submit")
    expect(state_badge(staff)).to_have_text("Submitted")

    # ... and at the next poll the manager's dashboard shows it, without a page load.
    mark_document(manager)
    with manager.expect_response(
        lambda r: (
            r.url.rstrip("/") == session.server.url
            and r.request.headers.get("hx-request") == "true"
        )
    ):
        manager.clock.run_for(31_000)
    expect(manager.get_by_test_id("count-submitted")).to_have_text(str(before["submitted"] + 1))
    expect(manager.get_by_test_id("count-draft")).to_have_text(str(before["draft"] - 1))
    assert same_document(manager)

    # The swapped-in body keeps polling.
    staff.goto(order_url)
    act(staff, "cancel", reason="Customer changed their mind")
    expect(state_badge(staff)).to_have_text("Cancelled")
    with manager.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        manager.clock.run_for(31_000)
    expect(manager.get_by_test_id("count-submitted")).to_have_text(str(before["submitted"]))
    expect(manager.get_by_test_id("count-cancelled")).to_have_text(str(before["cancelled"] + 1))
    assert same_document(manager)
