"""Every page, as the roles see it, loads clean (the `problems` fixture checks console, CSP and
5xx), and the README screenshots are taken from the real pages."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .helpers import ORDER_URL, create_order, history_rows, nav, state_badge

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_every_page_loads_without_errors(session):
    page = session.page_as("acme.manager")
    for path, heading in [
        ("/", "Dashboard"),
        ("/orders/", "Orders"),
        ("/orders/new/", "New order"),
        ("/audit/", "Event log"),
        ("/accounts/password_change/", "Change password"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        expect(page.locator("html")).to_have_class("js")

    # The event log filters with htmx too.
    page.goto("/audit/")
    page.get_by_label("Event type").select_option("OrderApproved")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"event_type=OrderApproved"))
    assert page.url.endswith("/audit/?event_type=OrderApproved")  # no empty filters pushed
    events = page.locator("#audit-table tbody tr")
    expect(events.first).to_contain_text("Approved")
    assert set(events.locator("td:nth-child(3)").all_inner_texts()) == {"Approved"}

    # A rejected form is shown again with its errors (422), then edited and saved.
    session.problems.expect_status(422)
    page.goto("/orders/new/")
    page.get_by_role("button", name="Create draft").click()
    expect(page.locator(".invalid-feedback, .alert-danger").first).to_be_visible()
    expect(page.get_by_label("Customer name")).to_have_class(re.compile(r"is-invalid"))
    order_url = create_order(page, "Edit Me GmbH", [("VALVE-BV", "Ball valve", 2, "18.75")])
    page.get_by_role("link", name="Edit draft").click()
    expect(page.get_by_role("heading", name=re.compile(r"Edit draft"))).to_be_visible()
    expect(page.locator("#order-total-preview")).to_have_text("37.50")
    page.locator("#id_lines-0-quantity").fill("4")
    expect(page.locator("#order-total-preview")).to_have_text("75.00")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(order_url)
    expect(page.get_by_test_id("order-total")).to_have_text("€75.00")

    # A note, through htmx, lands on the timeline.
    page.get_by_label("Note").fill("Checked by phone.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline > li").last).to_contain_text("Checked by phone.")
    page.get_by_role("link", name="Full history").click()
    expect(page.get_by_test_id("history-table").locator("tbody tr")).to_have_count(3)


def test_log_in_and_out(session):
    page = session.login("acme.ops", remember=False)
    expect(page.get_by_test_id("nav-identity")).to_contain_text("Ops")
    expect(nav(page).get_by_role("link", name="New order")).to_have_count(0)
    nav(page).get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.goto("/orders/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/orders/$"))


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    """docs/screenshots when UPDATE_SCREENSHOTS=1, else a temporary folder."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


def test_screenshots(session, screenshot_dir):
    # Globex: no other test changes its orders, so the pictures show the demo data only.
    page = session.page_as("globex.manager")

    def shoot(name: str) -> None:
        page.evaluate("document.activeElement && document.activeElement.blur()")
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=path, full_page=True, animations="disabled")
        assert path.stat().st_size > 10_000

    page.goto("/")
    expect(page.get_by_test_id("chart")).to_be_visible()
    shoot("dashboard")

    page.goto("/orders/")
    expect(page.get_by_test_id("result-count")).to_be_visible()
    shoot("orders")

    # An order under way: the manager has several actions, and the timeline some steps.
    page.goto("/orders/?state=in_fulfilment&state=approved&state=shipped&sort=-changed")
    page.locator("#order-table tbody tr a").first.click()
    expect(page).to_have_url(ORDER_URL)
    expect(state_badge(page)).to_have_text(re.compile(r"In fulfilment|Approved|Shipped"))
    shoot("order-detail")

    page.goto("/orders/?state=delivered")
    page.locator("#order-table tbody tr a").first.click()
    page.get_by_role("link", name="Full history").click()
    rows = history_rows(page)
    moment = rows[2].occurred_at + (rows[3].occurred_at - rows[2].occurred_at) / 2
    page.get_by_label("Show the order as it stood at").fill(f"{moment:%Y-%m-%dT%H:%M:%S}")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("as-of")).to_be_visible()
    shoot("history")
