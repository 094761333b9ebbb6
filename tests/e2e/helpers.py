"""What a person does in the browser, as small steps the e2e scenarios share."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from playwright.sync_api import Page, expect

ORDER_URL = re.compile(r"/orders/[0-9a-f-]{36}/$")


def axe_violations(axe, page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it stands: "rule: [first targets]"."""
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    results = axe.run(page, options={**options, "resultTypes": ["violations"]})
    return [
        f"{v['id']}: {[node['target'] for node in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def nav(page: Page):
    return page.get_by_role("navigation", name="Main navigation")


def state_badge(page: Page):
    return page.get_by_test_id("state").locator(".state-badge")


def fill_line(page: Page, index: int, sku: str, description: str, quantity: int, price: str):
    page.locator(f"#id_lines-{index}-sku").fill(sku)
    page.locator(f"#id_lines-{index}-description").fill(description)
    page.locator(f"#id_lines-{index}-quantity").fill(str(quantity))
    page.locator(f"#id_lines-{index}-unit_price").fill(price)


def create_order(page: Page, customer: str, lines: list[tuple[str, str, int, str]]) -> str:
    """Place a draft through the form (rows added with "Add line"); returns the detail URL."""
    page.goto("/orders/new/")
    page.get_by_label("Customer name").fill(customer)
    for index, line in enumerate(lines):
        if index:
            page.get_by_role("button", name="Add line").click()
        fill_line(page, index, *line)
    page.get_by_role("button", name="Create draft").click()
    expect(page).to_have_url(ORDER_URL)
    return page.url


def act(page: Page, action: str, **fields: str) -> None:
    """Click a workflow button in the state panel (opening its <details> form if it has one)."""
    panel = page.locator("#state-panel")
    button = panel.locator(f"button[data-action={action}]")
    if fields:
        details = panel.locator("details", has=page.locator(f"button[data-action={action}]"))
        details.locator("summary").click()
        expect(details).to_have_attribute("open", "")
        for name, value in fields.items():
            panel.locator(f"#id_{action}_{name}").fill(value)
    with page.expect_response(re.compile(rf"/transitions/{action}/$")):
        button.click()
    if action in ASKS_FIRST:  # the irreversible ones ask in a dialog first (issue #28)
        confirm = panel.get_by_test_id("confirm-dialog").get_by_test_id("confirm")
        with page.expect_response(re.compile(rf"/transitions/{action}/$")):
            confirm.click()


ASKS_FIRST = frozenset({"deliver", "cancel"})


def mark_document(page: Page) -> None:
    """Tag the current document; `same_document` then tells whether a full load happened."""
    page.evaluate("window.__e2eMarker = 'still here'")


def same_document(page: Page) -> bool:
    return page.evaluate("window.__e2eMarker === 'still here'")


def timeline(page: Page) -> list[tuple[str, str]]:
    """(event type, actor) of each timeline entry on the detail page, oldest first."""
    entries = page.locator("#timeline > li").evaluate_all(
        """items => items.map(li => [li.dataset.eventType,
                                    li.querySelector("[data-testid=actor]").innerText])"""
    )
    return [tuple(entry) for entry in entries]


@dataclass
class HistoryRow:
    number: int  # the event's number in the company's log
    occurred_at: dt.datetime
    actor: str
    event_type: str
    transition: str


def history_rows(page: Page) -> list[HistoryRow]:
    """The rows of the history table, read in one go."""
    cells = (
        page.get_by_test_id("history-table")
        .locator("tbody tr")
        .evaluate_all(
            """rows => rows.map(row => {
             const td = row.querySelectorAll("td");
             return [td[0].innerText, td[1].querySelector("time").getAttribute("datetime"),
                     td[2].innerText, td[3].dataset.eventType, td[4].innerText];
           })"""
        )
    )
    return [
        HistoryRow(
            number=int(number),
            occurred_at=dt.datetime.fromisoformat(occurred_at),
            actor=actor,
            event_type=event_type,
            transition=transition,
        )
        for number, occurred_at, actor, event_type, transition in cells
    ]
