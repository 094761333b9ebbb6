"""The order list: each filter, sorting, paging, htmx partials and a bounded number of queries."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
JAN = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)


def listed(response) -> list[str]:
    """The order numbers in the table, in the order shown."""
    html = response.content.decode()
    table = html[html.index('id="order-table"') :]
    return re.findall(r'class="mono">([A-Z]+-\d{6})</a>', table)


def number(n: int) -> str:
    return f"ACME-{n:06d}"


def filter_errors(response) -> str:
    html = response.content.decode()
    match = re.search(r'data-testid="filter-errors">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)) if match else ""


@pytest.fixture
def three_days(staff):
    """ACME-000001..3 placed on 1, 5 and 10 January 2025 (late on the 5th), totals 9.99, 31.97
    and 67.94, for customers Initech, Hooli and Initrode."""
    return [
        factories.place(staff, line_count=1, at=JAN, customer="Initech"),
        factories.place(staff, line_count=2, at=JAN.replace(day=5, hour=23), customer="Hooli"),
        factories.place(staff, line_count=3, at=JAN.replace(day=10), customer="Initrode"),
    ]


def test_the_list_shows_the_companys_orders_newest_first(client, staff, three_days):
    log_in(client, staff)

    response = client.get("/orders/")

    assert response.status_code == 200
    assert listed(response) == [number(3), number(2), number(1)]
    assert "3 orders" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=submitted", [2]),
        ("state=draft", [3, 1]),
        ("state=draft&state=approved", [4, 3, 1]),
        ("state=delivered", []),
    ],
)
def test_the_state_filter_is_repeatable_and_keeps_only_those_states(
    client, acme, staff, query, expected
):
    factories.order_in_state("draft", acme)
    factories.order_in_state("submitted", acme)
    factories.order_in_state("draft", acme)
    factories.order_in_state("approved", acme)
    log_in(client, staff)

    response = client.get(f"/orders/?{query}")

    assert response.status_code == 200
    assert listed(response) == [number(n) for n in expected]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("placed_after=2025-01-05", [3, 2]),
        ("placed_before=2025-01-05", [2, 1]),  # the whole day counts, 23:00 included
        ("placed_after=2025-01-05&placed_before=2025-01-05", [2]),
        ("placed_after=2025-01-02&placed_before=2025-01-04", []),
    ],
)
def test_the_placed_dates_keep_orders_placed_within_those_days(
    client, staff, three_days, query, expected
):
    log_in(client, staff)

    assert listed(client.get(f"/orders/?{query}")) == [number(n) for n in expected]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("initech", [1]),
        ("INIT", [3, 1]),
        ("  hooli  ", [2]),
        ("000003", [3]),
        ("acme-000002", [2]),
        ("nobody", []),
    ],
)
def test_q_matches_the_customer_or_the_order_number(client, staff, three_days, q, expected):
    log_in(client, staff)

    assert listed(client.get("/orders/", {"q": q})) == [number(n) for n in expected]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("total_min=10", [3, 2]),
        ("total_max=31.97", [2, 1]),  # bounds are inclusive
        ("total_min=31.97&total_max=31.97", [2]),
        ("total_min=10&total_max=50", [2]),
        ("total_min=100", []),
    ],
)
def test_the_total_bounds_keep_orders_within_them(client, staff, three_days, query, expected):
    log_in(client, staff)

    assert listed(client.get(f"/orders/?{query}")) == [number(n) for n in expected]


def test_filters_combine(client, staff, three_days):
    log_in(client, staff)

    response = client.get("/orders/?q=init&total_min=50&state=draft")

    assert listed(response) == [number(3)]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # Every sort gives a different order, and none the default (-placed: 3, 1, 4, 2).
        ("placed", [2, 4, 1, 3]),
        ("total", [2, 1, 4, 3]),
        ("-total", [3, 4, 1, 2]),
        ("customer", [3, 1, 2, 4]),
        ("-customer", [4, 2, 1, 3]),
        ("number", [1, 2, 3, 4]),
        ("-number", [4, 3, 2, 1]),
    ],
)
def test_the_list_sorts_by_the_chosen_column(client, staff, sort, expected):
    factories.place(staff, line_count=2, at=JAN.replace(day=5), customer="Hooli")  # 31.97
    factories.place(staff, line_count=1, at=JAN.replace(day=1), customer="Initrode")  # 9.99
    factories.place(staff, line_count=4, at=JAN.replace(day=9), customer="Dunder")  # 119.90
    factories.place(staff, line_count=3, at=JAN.replace(day=3), customer="Zeta")  # 67.94
    log_in(client, staff)

    response = client.get("/orders/", {"sort": sort})

    assert response.status_code == 200
    assert listed(response) == [number(n) for n in expected]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("sort=price", "( sort ): Select a valid choice. price is not one of the available"),
        ("state=lost", "( state ): Select a valid choice. lost is not one of the available"),
        ("placed_after=5th-of-May", "( placed_after ): Enter a valid date."),
        ("total_min=lots", "( total_min ): “lots” is not a number"),
        ("total_min=-5", "( total_min ): Enter an amount from 0 to 100,000,000.00, with at"),
        ("total_min=1e309", "( total_min ): “1e309” is not a number: digits 0-9"),
        ("total_max=1.0051", "( total_max ): Enter an amount from 0 to 100,000,000.00, with at"),
        ("stuck=maybe", "( stuck ): Enter true or false."),
        ("stuck=on", "( stuck ): Enter true or false."),
        (
            "placed_after=2025-02-01&placed_before=2025-01-01",
            "( placed_before ): This date must not be before “placed on or after”.",
        ),
        ("total_min=50&total_max=10", "( total_max ): The maximum total must not be below"),
        ("page=abc", "( page ): Enter a whole number."),
        ("page=0", "( page ): Ensure this value is greater than or equal to 1."),
        ("page=-1", "( page ): Ensure this value is greater than or equal to 1."),
    ],
)
def test_an_invalid_filter_is_400_with_the_error_shown_and_no_orders(
    client, staff, three_days, query, error
):
    log_in(client, staff)

    response = client.get(f"/orders/?{query}")

    assert response.status_code == 400
    assert error in filter_errors(response)
    assert listed(response) == []
    assert filter_errors(response).count("( ") == 1  # one message, not one per validator


def test_an_invalid_filter_with_htmx_is_a_400_partial_with_the_error(client, staff, three_days):
    log_in(client, staff)

    response = client.get("/orders/?sort=price", **HTMX)

    assert response.status_code == 400
    html = response.content.decode()
    assert "<html" not in html
    assert "( sort ): Select a valid choice." in filter_errors(response)


def test_the_list_is_paged_and_each_page_continues_the_last(client, staff, three_days, settings):
    settings.ORDERS_PER_PAGE = 2
    log_in(client, staff)

    first = client.get("/orders/")
    second = client.get("/orders/?page=2")

    assert listed(first) == [number(3), number(2)]
    assert listed(second) == [number(1)]
    assert "page 1 of 2" in first.content.decode()
    assert 'rel="next" href="?page=2"' in first.content.decode()


def test_the_page_links_keep_the_filters(client, staff, three_days, settings):
    settings.ORDERS_PER_PAGE = 1
    log_in(client, staff)

    html = client.get("/orders/?state=draft&sort=total").content.decode()

    assert 'rel="next" href="?state=draft&amp;sort=total&amp;page=2"' in html


def test_a_page_past_the_end_shows_the_last_page(client, staff, three_days, settings):
    settings.ORDERS_PER_PAGE = 2

    log_in(client, staff)
    response = client.get("/orders/?page=99")

    assert response.status_code == 200
    assert listed(response) == [number(1)]


def test_with_htmx_the_list_answers_only_the_order_table(client, staff, three_days):
    log_in(client, staff)

    response = client.get("/orders/?state=draft", **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="order-filter"' not in html
    assert html.lstrip().startswith('<div id="order-table"')
    assert listed(response) == [number(3), number(2), number(1)]


def test_a_back_button_restore_of_the_list_gets_the_full_page(client, staff, three_days):
    log_in(client, staff)

    response = client.get(
        "/orders/?state=draft", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert 'id="order-filter"' in html
    assert 'id="order-table"' in html


def test_the_filter_form_shows_the_filters_in_use(client, staff, three_days):
    log_in(client, staff)

    html = client.get("/orders/?state=draft&q=hoo&sort=-total").content.decode()

    assert re.search(r'<input[^>]*value="draft"[^>]*checked', html)
    assert re.search(r'name="q"[^>]*value="hoo"', html)
    assert '<option value="-total" selected>' in html


def queries_for(client, url: str) -> int:
    client.get(url)  # a user's first request also reads its role and permissions (then cached)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_list_makes_the_same_few_queries_for_3_orders_and_for_40(client, staff):
    for _ in range(3):
        factories.place(staff)
    log_in(client, staff)
    with_3 = queries_for(client, "/orders/?sort=-total")

    for _ in range(37):
        factories.place(staff)
    with_40 = queries_for(client, "/orders/?sort=-total")

    assert with_3 == with_40
    # session, user with company, the user's and its groups' permissions with its groups (the
    # role shown in the navigation: one read, #25); the company's controls (may Staff
    # approve?); the count and the page; the user's saved views
    assert with_40 <= 8


def test_a_row_shows_each_column_formatted_and_links_the_order(client, staff):
    staff.company.time_zone = "Europe/Berlin"  # rows are shown in the company's time zone
    staff.company.save()
    order = factories.place(staff, line_count=2, at=JAN, customer="Hooli")  # 31.97
    log_in(client, staff)

    html = client.get("/orders/").content.decode()

    row = re.search(
        r'<tr>(?:<td class="select"><input [^>]*></td>)?<td[^>]*><a.*?</tr>', html, re.S
    )
    row = row.group(0)
    assert f'<a href="/orders/{order.id}/" class="mono">ACME-000001</a>' in row
    assert '<td class="wrap" data-label="Customer">Hooli</td>' in row
    assert 'data-state="draft">Draft</span>' in row
    assert (
        '<td class="text-end" data-label="Lines">2</td>'
        '<td class="text-end" data-label="Total">€31.97</td>'
    ) in row
    assert (
        '<time datetime="2025-01-01T13:00:00+01:00" '
        'title="2025-01-01 13:00 CET (UTC+01:00 Europe/Berlin)">2025-01-01</time>' in row
    )
    assert (
        '<td data-label="Last change"><time datetime="2025-01-01T13:00:00+01:00" '
        'title="UTC+01:00 Europe/Berlin">2025-01-01 13:00 CET</time><br>'
        f'<span class="small text-body-secondary">{staff.username}' in row
    )
    assert re.search(r'<td data-label="In state for">\d+ d \d+ h</td></tr>$', row)


def test_customer_names_are_escaped_in_the_rows(client, staff):
    factories.place(staff, customer='<script>alert("x")</script> & Co')
    log_in(client, staff)

    html = client.get("/orders/").content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html


def test_an_empty_page_says_that_no_orders_match(client, staff, three_days):
    log_in(client, staff)

    html = client.get("/orders/?q=nobody").content.decode()

    assert "No orders match these filters." in html
    assert 'class="mono"' not in html


def test_what_was_typed_into_the_filters_is_shown_escaped(client, staff, three_days):
    log_in(client, staff)

    html = client.get("/orders/", {"q": '"><script>x</script>', "total_min": "lots"}).content
    html = html.decode()

    assert "<script>x" not in html
    assert re.search(
        r'name="q" value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"[^>]*id="id_q"', html
    )
    assert re.search(r'name="total_min" value="lots"[^>]*id="id_total_min"', html)


def test_the_filter_form_of_one_request_does_not_leak_into_the_next(client, staff, three_days):
    log_in(client, staff)
    client.get("/orders/?state=draft&q=hoo&sort=-total&stuck=true")

    html = client.get("/orders/").content.decode()

    assert not re.search(r"<input[^>]*checked", html)
    assert re.search(r'<input type="search" name="q"(?![^>]*value=)[^>]*id="id_q"', html)
    # The sort and the page size, each at its default.
    selected = re.findall(r'<option value="[^"]*" selected>', html)
    assert selected == ['<option value="" selected>'] * 2
