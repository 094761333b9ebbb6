"""Issue #19 §3: sortable headers, page numbers top and bottom, the navbar's current page, one
date format (inputs too)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Role
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return factories.user(Role.STAFF, factories.CompanyFactory(slug="acme"))


def header_link(html: str, column: str) -> tuple[str, str]:
    """(href, aria-sort or "") of a column header."""
    match = re.search(
        rf'<th scope="col" class="sortable[^"]*"(?: aria-sort="(\w+)")?><a href="\?([^"]*)"'
        rf'[^>]*data-sort="{column}"',
        html,
    )
    return match.group(2).replace("&amp;", "&"), match.group(1) or ""


def test_a_header_sorts_by_its_column_and_clicking_again_reverses(client, staff):
    log_in(client, staff)
    html = client.get("/orders/?state=draft&page=2").content.decode()
    assert header_link(html, "customer") == ("state=draft&sort=customer", "")
    assert header_link(html, "placed") == ("state=draft&sort=placed", "descending")  # default

    html = client.get("/orders/?state=draft&sort=customer").content.decode()
    assert header_link(html, "customer") == ("state=draft&sort=-customer", "ascending")

    html = client.get("/orders/?state=draft&sort=-customer").content.decode()
    assert header_link(html, "customer") == ("state=draft&sort=customer", "descending")


def test_the_in_state_for_column_sorts_longest_waiting_first(client, staff):
    now = timezone.now()
    old = factories.place(staff, at=now - dt.timedelta(days=9))
    new = factories.place(staff, at=now - dt.timedelta(days=1))
    log_in(client, staff)
    html = client.get("/orders/?sort=since").content.decode()
    assert html.index(old.number) < html.index(new.number)


def test_page_numbers_show_above_and_below_the_table(client, staff, settings):
    settings.ORDERS_PER_PAGE = 2
    for _ in range(30):
        factories.place(staff)
    log_in(client, staff)

    html = client.get("/orders/?page=8&sort=number").content.decode()

    for where in ("top", "bottom"):
        pager = re.search(rf'data-testid="pager-{where}">(.*?)</nav>', html, re.S).group(1)
        numbers = re.findall(r">(\d+|…)</(?:a|span)>", pager)
        assert numbers == ["1", "…", *map(str, range(5, 12)), "…", "15"], numbers
        assert 'aria-current="page"><span class="page-link">8<' in pager
        assert "sort=number&amp;page=15" in pager
        assert "show:#order-table:top" in pager  # a page change scrolls to the table's top
    assert html.index('data-testid="pager-top"') < html.index("<table")
    assert html.index('data-testid="pager-bottom"') > html.index("</table>")


@pytest.mark.parametrize(
    ("url", "current"),
    [("/", "Dashboard"), ("/orders/", "Orders"), ("/orders/new/", "New order")],
)
def test_the_navbar_marks_the_current_page(client, staff, url, current):
    log_in(client, staff)
    html = client.get(url).content.decode()
    marked = re.findall(
        r'<a class="nav-link active" aria-current="page" href="[^"]+">([^<]+)<', html
    )
    assert marked == [current]


def test_an_orders_page_marks_orders_in_the_navbar(client, staff):
    order = factories.place(staff)
    log_in(client, staff)
    html = client.get(f"/orders/{order.id}/").content.decode()
    assert re.search(r'nav-link active" aria-current="page" href="/orders/">Orders<', html)


def test_dates_use_one_format_in_rows_and_inputs(client, staff):
    factories.place(staff)
    log_in(client, staff)
    html = client.get("/orders/?placed_after=2025-01-31").content.decode()
    field = re.search(r'<input [^>]*name="placed_after"[^>]*>', html).group(0)
    assert 'type="text"' in field and 'placeholder="YYYY-MM-DD"' in field
    assert 'value="2025-01-31"' in field
    assert re.search(
        r'"Last change"><time [^>]+>\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC</time><br>', html
    )
