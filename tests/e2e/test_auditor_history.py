"""An auditor reads an order's history, looks at an earlier moment and exports the CSV."""

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .helpers import history_rows, nav, state_badge

pytestmark = pytest.mark.e2e


def test_auditor_sees_no_actions_reads_an_earlier_state_and_downloads_csv(session):
    page = session.page_as("acme.auditor")
    page.goto("/")
    nav(page).get_by_role("link", name="Orders").click()
    expect(nav(page).get_by_role("link", name="New order")).to_have_count(0)
    page.get_by_role("checkbox", name="Delivered").check()
    expect(page).to_have_url(re.compile(r"[?&]state=delivered"))
    first = page.locator("#order-table tbody tr").first
    expect(first.locator(".state-badge")).to_have_text("Delivered")
    number = first.locator("a").inner_text()
    first.locator("a").click()

    expect(page.get_by_role("heading", name=number)).to_be_visible()
    expect(state_badge(page)).to_have_text("Delivered")
    panel = page.locator("#state-panel")
    expect(panel).to_contain_text("Your role is read-only.")
    expect(panel.get_by_role("button")).to_have_count(0)
    expect(panel.locator("form")).to_have_count(0)

    page.get_by_role("link", name="Full history").click()
    expect(page.get_by_role("heading", name=f"History of {number}")).to_be_visible()
    rows = history_rows(page)
    assert [r.number for r in rows] == sorted(r.number for r in rows)
    assert rows[0].event_type == "OrderPlaced"
    assert rows[-1].event_type == "OrderDelivered"

    # A moment just after the approval and before the next event: the order was "Approved".
    approved = next(i for i, r in enumerate(rows) if r.event_type == "OrderApproved")
    after, before = rows[approved].occurred_at, rows[approved + 1].occurred_at
    moment = (after + (before - after) / 2).replace(microsecond=0)
    assert after <= moment < before
    page.get_by_label("Show the order as it stood at").fill(moment.strftime("%Y-%m-%dT%H:%M:%S"))
    page.evaluate("window.__e2eMarker = 'still here'")
    page.get_by_role("button", name="Show").click()

    as_of = page.get_by_test_id("as-of")
    expect(as_of).to_contain_text(f"As it stood at {moment:%Y-%m-%d %H:%M:%S}")
    expect(as_of.locator(".state-badge")).to_have_text("Approved")
    expect(page).to_have_url(re.compile(r"[?&]as_of=20"))
    body_rows = page.get_by_test_id("history-table").locator("tbody tr")
    later = page.get_by_test_id("history-table").locator("tbody tr.text-body-tertiary")
    expect(later).to_have_count(len(rows) - approved - 1)
    # ... and they look dimmed: their cells are drawn in another colour than earlier events'.
    colour = "td => getComputedStyle(td).color"
    earlier_colour = body_rows.nth(approved).locator("td").nth(3).evaluate(colour)
    later_colour = body_rows.nth(approved + 1).locator("td").nth(3).evaluate(colour)
    assert later_colour != earlier_colour, "events after the moment are not dimmed"
    assert page.evaluate("window.__e2eMarker") == "still here"

    with page.expect_download() as download_info:
        page.get_by_test_id("csv-link").click()
    download = download_info.value
    assert download.suggested_filename == f"{number}-history.csv"
    content = Path(download.path()).read_text(encoding="utf-8-sig")  # BOM first
    table = list(csv.DictReader(io.StringIO(content)))
    assert [int(r["number"]) for r in table] == [r.number for r in rows]
    assert [r["event_type"] for r in table] == [r.event_type for r in rows]
    assert [r["actor"] for r in table] == [r.actor for r in rows]
    assert [dt.datetime.fromisoformat(r["occurred_at"]) for r in table] == [
        r.occurred_at for r in rows
    ]
    shipped = next(r for r in table if r["event_type"] == "OrderShipped")
    assert shipped["carrier"] and shipped["tracking_number"]
