"""The order list's filters: htmx swaps the table, the URL follows, and Back goes back."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from .helpers import mark_document, same_document

pytestmark = pytest.mark.e2e


def result_count(page) -> int:
    return int(page.get_by_test_id("result-count").inner_text().split()[0])


LABELS = {
    "draft": "Draft",
    "submitted": "Submitted",
    "approved": "Approved",
    "in_fulfilment": "In fulfilment",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "on_hold": "On hold",
    "cancelled": "Cancelled",
}


def count_is(n: int) -> re.Pattern:
    return re.compile(rf"^\s*{n} orders?\b")


def url_states(page) -> list[str]:
    return parse_qs(urlsplit(page.url).query).get("state", [])


def states_shown(page) -> set[str]:
    badges = page.locator("#order-table tbody .state-badge")
    return {badge.get_attribute("data-state") for badge in badges.all()}


def test_filtering_updates_table_and_url_and_back_restores_it(session):
    page = session.page_as("acme.manager")
    page.goto("/orders/")
    everything = result_count(page)
    seen = states_shown(page)
    assert len(seen) > 2
    mark_document(page)

    delivered = page.get_by_role("checkbox", name="Delivered")
    with page.expect_response(re.compile(r"/orders/\?.*state=delivered")):
        delivered.check()
    expect(page).to_have_url(re.compile(r"/orders/\?(.*&)?state=delivered(&|$)"))
    assert url_states(page) == ["delivered"]
    expect(page.get_by_test_id("result-count")).not_to_have_text(count_is(everything))
    only_delivered = result_count(page)
    assert 0 < only_delivered < everything
    assert states_shown(page) == {"delivered"}

    # Tick a second state that was on the unfiltered list: the count must grow.
    second = sorted(seen - {"delivered"})[0]
    second_box = page.get_by_role("checkbox", name=LABELS[second], exact=True)
    with page.expect_response(re.compile(rf"/orders/\?.*state={second}")):
        second_box.check()
    expect(page).to_have_url(re.compile(rf"state={second}"))
    assert sorted(url_states(page)) == sorted(["delivered", second])
    expect(page.get_by_test_id("result-count")).not_to_have_text(count_is(only_delivered))
    assert result_count(page) > only_delivered
    assert states_shown(page) <= {"delivered", second}
    assert same_document(page)

    page.go_back()
    expect(page).not_to_have_url(re.compile(rf"state={second}"))
    assert url_states(page) == ["delivered"]
    expect(page.get_by_test_id("result-count")).to_have_text(count_is(only_delivered))
    expect(page.get_by_role("checkbox", name="Delivered")).to_be_checked()
    expect(second_box).not_to_be_checked()
    assert states_shown(page) == {"delivered"}

    page.go_back()
    expect(page).to_have_url(re.compile(r"/orders/$"))
    expect(page.get_by_test_id("result-count")).to_have_text(count_is(everything))
    expect(page.get_by_role("checkbox", name="Delivered")).not_to_be_checked()
    assert len(states_shown(page)) > 2
    assert same_document(page), "Back should be restored by htmx, not by a full page load"

    # The restored page still works: the filter form is live again.
    with page.expect_response(re.compile(rf"/orders/\?.*state={second}")):
        second_box.check()
    expect(page).to_have_url(re.compile(rf"state={second}"))
    assert url_states(page) == [second]
    assert states_shown(page) == {second}
    assert same_document(page)


def test_search_as_you_type_and_sort(session):
    page = session.page_as("acme.staff")
    page.goto("/orders/")
    everything = result_count(page)
    first_customer = page.locator("#order-table tbody tr td:nth-child(3)").first.inner_text()
    mark_document(page)

    # Typing (real key presses) searches after a short pause, without pressing Enter.
    with page.expect_response(re.compile(r"[?&]q=")):
        page.get_by_label("Customer, order number, reference, e-mail or SKU").press_sequentially(
            first_customer[:6]
        )
    expect(page.get_by_test_id("result-count")).not_to_have_text(count_is(everything))
    customers = page.locator("#order-table tbody tr td:nth-child(3)").all_inner_texts()
    assert customers
    assert all(first_customer[:6].lower() in c.lower() for c in customers)
    assert parse_qs(urlsplit(page.url).query)["q"] == [first_customer[:6]]

    page.get_by_label("Customer, order number, reference, e-mail or SKU").clear()
    with page.expect_response(re.compile(r"sort=-total")):
        page.get_by_label("Sort by").select_option(label="Total (descending)")
    expect(page).to_have_url(re.compile(r"sort=-total"))
    expect(page.get_by_test_id("result-count")).to_have_text(count_is(everything))
    totals = page.locator("#order-table tbody tr td:nth-child(6)").all_inner_texts()
    amounts = [float(t.split()[0].replace(",", "").lstrip("€")) for t in totals]
    assert amounts == sorted(amounts, reverse=True)
    assert same_document(page)

    page.reload()
    expect(page.get_by_label("Sort by")).to_have_value("-total")
