"""An order's life in the browser: the form, the htmx workflow buttons, and a stale page."""

import pytest
from playwright.sync_api import expect

from .helpers import (
    act,
    create_order,
    fill_line,
    history_rows,
    mark_document,
    nav,
    same_document,
    state_badge,
    timeline,
)

pytestmark = pytest.mark.e2e


def test_staff_creates_an_order_with_two_lines_and_submits_it(session):
    page = session.login("acme.staff")
    nav(page).get_by_role("link", name="New order").click()
    expect(page.get_by_role("heading", name="New order")).to_be_visible()
    total = page.locator("#order-total-preview")
    expect(total).to_have_text("0.00")

    page.get_by_label("Customer name").fill("Browser Test Ltd")
    page.get_by_label("Customer reference").fill("PO-E2E-1")
    fill_line(page, 0, "BOLT-M8", "M8 hex bolt, box of 100", 3, "12.50")
    expect(total).to_have_text("37.50")

    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#lines-rows .line-row")).to_have_count(2)
    expect(page.locator("#id_lines-1-sku")).to_be_focused()
    fill_line(page, 1, "NUT-M8", "M8 nut, box of 100", 2, "4.25")
    expect(total).to_have_text("46.00")

    # A third row, removed again: it leaves the preview and is not saved.
    page.get_by_role("button", name="Add line").click()
    fill_line(page, 2, "SAW-CIRC", "Circular saw", 1, "100.00")
    expect(total).to_have_text("146.00")
    page.locator("#lines-rows .line-row").nth(2).get_by_role("button", name="Remove").click()
    expect(page.locator("#lines-rows .line-row").nth(2)).to_be_hidden()
    expect(total).to_have_text("46.00")
    expect(page.locator("#id_lines-TOTAL_FORMS")).to_have_value("3")

    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("alert").filter(has_text="was created as a draft")).to_be_visible()
    expect(state_badge(page)).to_have_text("Draft")
    expect(page.get_by_test_id("order-total")).to_have_text("€46.00")
    lines = page.get_by_test_id("order-lines").locator("tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("BOLT-M8")
    expect(lines.nth(1)).to_contain_text("NUT-M8")

    expect(page.locator("#state-panel")).to_contain_text("Version 1")

    mark_document(page)
    act(page, "submit")
    expect(state_badge(page)).to_have_text("Submitted")
    expect(page.locator("#state-panel")).to_contain_text("Version 2")
    # The timeline was swapped in out of band, in the same document: no full page load.
    expect(page.locator("#timeline > li")).to_have_count(2)
    assert timeline(page) == [("OrderPlaced", "acme.staff"), ("OrderSubmitted", "acme.staff")]
    assert same_document(page)
    # Staff cannot approve: the panel now offers only what Staff may do.
    expect(page.locator("button[data-action=approve]")).to_have_count(0)


def test_manager_approves_and_staff_fulfils_and_ships(session):
    staff = session.page_as("acme.staff")
    order_url = create_order(staff, "Shipping Co", [("PIPE-22", "Copper pipe", 4, "31.50")])
    act(staff, "submit")
    expect(state_badge(staff)).to_have_text("Submitted")

    manager = session.page_as("acme.manager")
    manager.goto(order_url)
    mark_document(manager)
    act(manager, "approve")
    expect(state_badge(manager)).to_have_text("Approved")
    assert same_document(manager)

    staff.goto(order_url)
    expect(state_badge(staff)).to_have_text("Approved")
    act(staff, "start_fulfilment")
    expect(state_badge(staff)).to_have_text("In fulfilment")

    # Ship needs a carrier and a tracking number: a small form inside <details>.
    ship = staff.locator("#state-panel details", has=staff.locator("[data-action=ship]"))
    expect(ship.get_by_label("Carrier")).to_be_hidden()
    # A blank tracking number (spaces pass the browser's `required`) comes back as a 422: the
    # form stays open with the error and keeps what was typed.
    session.problems.expect_status(422)
    act(staff, "ship", carrier="DHL", tracking_number="   ")
    expect(ship).to_have_attribute("open", "")
    expect(ship).to_contain_text("This field is required.")
    expect(ship.get_by_label("Carrier")).to_have_value("DHL")
    expect(state_badge(staff)).to_have_text("In fulfilment")
    staff.locator("#id_ship_tracking_number").fill("JD014600003SE")
    staff.locator("button[data-action=ship]").click()
    expect(state_badge(staff)).to_have_text("Shipped")
    expect(staff.locator("button[data-action=deliver]")).to_be_visible()

    expected = [
        ("OrderPlaced", "acme.staff"),
        ("OrderSubmitted", "acme.staff"),
        ("OrderApproved", "acme.manager"),
        ("OrderFulfilmentStarted", "acme.staff"),
        ("OrderShipped", "acme.staff"),
    ]
    expect(staff.locator("#timeline > li")).to_have_count(len(expected))
    assert timeline(staff) == expected
    expect(staff.locator("#timeline > li").last).to_contain_text("DHL")

    staff.reload()
    expect(staff.locator("dd", has_text="JD014600003SE")).to_contain_text("DHL")
    assert timeline(staff) == expected


def test_a_stale_page_gets_a_conflict_and_no_second_event(session):
    staff = session.page_as("acme.staff")
    order_url = create_order(staff, "Race Condition Inc", [("TAPE-50", "Duct tape", 10, "7.99")])
    act(staff, "submit")
    manager = session.page_as("acme.manager")
    manager.goto(order_url)
    act(manager, "approve")
    expect(state_badge(manager)).to_have_text("Approved")

    # Both now look at the approved order (placed, submitted, approved: version 3).
    staff.goto(order_url)
    expect(state_badge(staff)).to_have_text("Approved")
    events_before = len(timeline(staff))

    act(staff, "start_fulfilment")
    expect(state_badge(staff)).to_have_text("In fulfilment")

    # The manager's page still shows "Approved": acting on it is refused with 409.
    session.problems.expect_status(409)
    with manager.expect_response(lambda r: r.url.endswith("/start_fulfilment/")) as answer:
        manager.locator("button[data-action=start_fulfilment]").click()
    assert answer.value.status == 409
    error = manager.get_by_test_id("action-error")
    expect(error).to_contain_text("changed since your page showed it")
    expect(error).to_contain_text("you saw version 3, it is now at version 4")
    expect(state_badge(manager)).to_have_text("In fulfilment")

    error.get_by_role("link", name="Reload the order").click()
    # The reload is a whole page: wait for its timeline before reading it.
    expect(manager.locator("#timeline > li")).to_have_count(events_before + 1)
    expect(manager.get_by_test_id("action-error")).to_have_count(0)
    expect(state_badge(manager)).to_have_text("In fulfilment")
    assert len(timeline(manager)) == events_before + 1

    manager.get_by_role("link", name="Full history").click()
    rows = history_rows(manager)
    assert len(rows) == events_before + 1
    assert [r.event_type for r in rows].count("OrderFulfilmentStarted") == 1
    assert rows[-1].actor == "acme.staff"
