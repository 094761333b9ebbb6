"""A real day at work in Chromium under the real CSP (issue #14 items 1, 2, 4 and 5): Back and
Forward, ended sessions, the order form's removed rows, and what each action says."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import CHROMIUM, CHROMIUM_ARGS, Session
from .helpers import ORDER_URL, act, create_order, fill_line, nav, state_badge

pytestmark = pytest.mark.e2e

# Records whether the last page was restored from the back/forward cache (pageshow.persisted).
PAGESHOW = "window.addEventListener('pageshow', e => { window.__fromBfcache = e.persisted; });"


@pytest.fixture(scope="module")
def bfcache_browser(browser):
    """Chromium with its back/forward cache on (Playwright switches it off by default)."""
    with_cache = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    yield with_cache
    with_cache.close()


@pytest.fixture(params=["bfcache off", "bfcache on"])
def any_cache(request, session, bfcache_browser, server, problems):
    """`session` as is (bfcache off), or a session in a browser with the bfcache on."""
    if request.param == "bfcache off":
        yield session
        return
    cached = Session(browser=bfcache_browser, server=server, problems=problems)
    yield cached
    cached.close()


def assert_whole_page(page, heading: str) -> None:
    """A whole, styled page: navigation, stylesheet applied, its heading."""
    expect(nav(page)).to_be_visible()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
    assert page.evaluate("document.styleSheets.length") >= 2


# --- 1. Back and Forward never show a bare fragment ------------------------------------------


def test_back_to_a_filtered_list_after_opening_an_order_shows_the_whole_list(any_cache):
    page = any_cache.login("acme.staff", remember=False)
    page.add_init_script(PAGESHOW)
    page.goto("/orders/")
    with page.expect_response(re.compile(r"/orders/\?state=draft$")):
        page.get_by_role("checkbox", name="Draft", exact=True).check()
    expect(page).to_have_url(re.compile(r"/orders/\?state=draft$"))

    page.locator("#order-table tbody a").first.click()
    expect(page).to_have_url(ORDER_URL)
    page.go_back(wait_until="commit")

    expect(page).to_have_url(re.compile(r"/orders/\?state=draft$"))
    assert_whole_page(page, "Orders")
    expect(page.get_by_role("checkbox", name="Draft", exact=True)).to_be_checked()
    page.go_forward(wait_until="commit")
    expect(page).to_have_url(ORDER_URL)
    expect(nav(page)).to_be_visible()
    page.go_back(wait_until="commit")
    assert_whole_page(page, "Orders")


def test_back_to_the_dashboard_after_its_auto_refresh_shows_the_whole_dashboard(any_cache):
    page = any_cache.login("acme.manager", remember=False)
    page.clock.install()
    page.goto("/")
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.clock.run_for(31_000)

    nav(page).get_by_role("link", name="Orders").click()
    expect(page).to_have_url(re.compile(r"/orders/$"))
    page.go_back(wait_until="commit")

    expect(page).to_have_url(re.compile(r"/$"))
    assert_whole_page(page, "Dashboard")


def test_the_bfcache_on_browser_really_restores_from_the_bfcache(bfcache_browser, server, problems):
    """Guards the "bfcache on" cases above: the restore they see is the bfcache's."""
    cached = Session(browser=bfcache_browser, server=server, problems=problems)
    try:
        page = cached.login("acme.staff", remember=False)
        page.add_init_script(PAGESHOW)
        page.goto("/orders/")
        nav(page).get_by_role("link", name="Dashboard").click()
        expect(page).to_have_url(re.compile(r"/$"))
        page.go_back(wait_until="commit")
        expect(page).to_have_url(re.compile(r"/orders/$"))
        assert page.evaluate("window.__fromBfcache") is True
    finally:
        cached.close()


# --- 2. An ended session is a clean trip to the login page -----------------------------------


def log_out_elsewhere(page) -> None:
    """Log out in a second tab of the same browser (same cookies)."""
    other = page.context.new_page()
    other.goto("/")
    nav(other).get_by_role("button", name="Log out").click()
    expect(other.get_by_role("button", name="Log in")).to_be_visible()
    other.close()


def assert_on_login_page(page, next_path: str, message: str) -> None:
    expect(page).to_have_url(re.compile(rf"/accounts/login/\?next={re.escape(next_path)}$"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text=message)).to_be_visible()
    expect(nav(page)).to_have_count(0)  # the whole login page, not a fragment under a navbar


def log_in_here(page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo-orders-2026")
    page.get_by_role("button", name="Log in").click()


def test_a_filter_after_logging_out_elsewhere_goes_to_the_login_page_and_back(session):
    page = session.login("acme.staff", remember=False)
    page.goto("/orders/")
    log_out_elsewhere(page)

    page.get_by_role("checkbox", name="Draft", exact=True).click()  # the page is left at once

    assert_on_login_page(page, "/orders/", "Your session has ended")
    log_in_here(page, "acme.staff")
    expect(page).to_have_url(re.compile(r"/orders/$"))
    assert_whole_page(page, "Orders")


def test_an_action_after_the_session_ended_is_not_lost_without_a_word(session):
    page = session.login("acme.staff", remember=False)
    order_url = create_order(page, "Session Enders", [("PEN-1", "Pen", 1, "1.00")])
    path = re.sub(r"^https?://[^/]+", "", order_url)
    log_out_elsewhere(page)

    panel = page.locator("#state-panel")
    details = panel.locator("details", has=page.locator("button[data-action=cancel]"))
    details.locator("summary").click()
    panel.locator("#id_cancel_reason").fill("Customer withdrew")
    panel.locator("button[data-action=cancel]").click()

    assert_on_login_page(page, path, "was not saved")
    log_in_here(page, "acme.staff")
    expect(page).to_have_url(order_url)
    expect(state_badge(page)).to_have_text("Draft")  # nothing was saved, and the page said so


def test_the_dashboards_auto_refresh_after_the_session_ended_goes_to_the_login_page(session):
    page = session.login("acme.manager", remember=False)
    page.clock.install()
    page.goto("/")
    log_out_elsewhere(page)

    page.clock.run_for(31_000)

    assert_on_login_page(page, "/", "Your session has ended")


# --- 4. The order form shows what will be saved ----------------------------------------------


def test_a_removed_line_stays_removed_and_out_of_the_total_after_an_error(session):
    session.problems.expect_status(422)
    page = session.page_as("acme.staff")
    page.goto("/orders/new/")
    page.get_by_label("Customer name").fill("Keepers Ltd")
    fill_line(page, 0, "KEEP", "Kept", 1, "1.00")
    page.get_by_role("button", name="Add line").click()
    fill_line(page, 1, "GONE", "Removed", 1, "100")
    page.locator("#lines-rows .line-row").nth(1).get_by_role("button", name="Remove").click()
    page.get_by_label("Customer e-mail").fill("not-an-email")

    page.get_by_role("button", name="Create draft").click()

    expect(page.get_by_label("Customer e-mail")).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#id_lines-1-sku")).to_be_hidden()
    expect(page.locator("#order-total-preview")).to_have_text("1.00")
    page.get_by_label("Customer e-mail").fill("buyer@keepers.example")
    page.get_by_role("button", name="Create draft").click()
    expect(page).to_have_url(ORDER_URL)
    expect(page.get_by_test_id("order-total")).to_have_text("€1.00")
    expect(page.get_by_test_id("order-lines").locator("tbody tr")).to_have_count(1)


# --- 5. Every action says what happened and what comes next ----------------------------------


def test_each_action_names_the_order_and_its_new_state_and_focuses_the_panel(session):
    staff = session.page_as("acme.staff")
    create_order(staff, "Feedback Fans", [("CUP-1", "Cup", 2, "3.00")])
    number = staff.get_by_role("heading", level=1).inner_text()

    act(staff, "submit")

    expect(staff.locator("#messages")).to_contain_text(f"Order {number} is now submitted.")
    expect(staff.locator("#state-panel")).to_be_focused()
    # Staff may not decide: the panel says who does, in the workflow's words.
    # The company's controls say who may approve (four eyes: not the order's author).
    expect(staff.get_by_test_id("why-not")).to_contain_text("someone else must approve it")

    manager = session.page_as("acme.manager")
    manager.goto(staff.url)
    act(manager, "approve")
    expect(manager.locator("#messages")).to_contain_text(f"Order {number} is now approved.")
    expect(manager.locator("#state-panel")).to_be_focused()

    staff.reload()
    act(staff, "hold", reason="Waiting for stock")
    expect(staff.locator("#messages")).to_contain_text(f"Order {number} is now on hold.")
    expect(staff.get_by_test_id("why-not")).to_contain_text("A Manager must resume it.")


def test_without_javascript_an_action_still_says_what_happened(session):
    staff = session.page_as("acme.staff")
    order_url = create_order(staff, "No Script Ltd", [("INK-1", "Ink", 1, "2.00")])
    page = session.new_page(storage_state=staff.context.storage_state(), java_script_enabled=False)
    page.goto(order_url)
    number = page.get_by_role("heading", level=1).inner_text()

    page.locator("button[data-action=submit]").click()

    expect(page).to_have_url(order_url)
    message = page.get_by_role("alert").filter(has_text=f"Order {number} is now submitted.")
    expect(message).to_be_visible()
