"""Issue #32 (staff's day): "my orders" on the list and its CSV, and a bounded page size."""

import csv
import io
import re

import pytest

from accounts.models import Role
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

ROW_NUMBER = re.compile(r'<a href="/orders/[0-9a-f-]+/" class="mono">([^<]+)</a>')


def listed(response) -> list[str]:
    return ROW_NUMBER.findall(response.content.decode())


@pytest.fixture
def two_authors(acme, staff):
    colleague = factories.user(Role.STAFF, acme, username="acme.colleague")
    mine = factories.place(staff, customer="Mine Ltd")
    theirs = factories.place(colleague, customer="Theirs Ltd")
    return mine, theirs


def test_my_orders_keeps_only_the_orders_the_user_placed(client, staff, two_authors):
    mine, _ = two_authors
    log_in(client, staff)

    response = client.get("/orders/?mine=true")

    assert response.status_code == 200
    assert listed(response) == [mine.number]
    assert 'name="mine"' in response.content.decode()  # a control on the filter form


def test_my_orders_is_in_the_csv_and_the_page_links(client, staff, two_authors, settings):
    mine, _ = two_authors
    log_in(client, staff)

    response = client.get("/orders/?mine=true&format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    page = client.get("/orders/?mine=true").content.decode()

    assert [row["number"] for row in rows] == [mine.number]
    assert "?mine=true&amp;format=csv" in page


def test_my_orders_without_the_flag_lists_everyones(client, staff, two_authors):
    log_in(client, staff)

    assert len(listed(client.get("/orders/"))) == 2


def test_an_invalid_my_orders_value_is_a_clear_400(client, staff, two_authors):
    log_in(client, staff)

    response = client.get("/orders/?mine=perhaps")

    assert response.status_code == 400
    assert "(<code>mine</code>)" in response.content.decode()


@pytest.mark.parametrize("size", [25, 50, 100])
def test_the_page_size_can_be_chosen_among_the_offered_sizes(client, staff, size):
    for _ in range(size + 1):
        factories.place(staff, line_count=1)
    log_in(client, staff)

    response = client.get(f"/orders/?per_page={size}")

    assert response.status_code == 200
    assert len(listed(response)) == size
    assert f"per_page={size}&amp;page=2" in response.content.decode()  # the pager keeps it


@pytest.mark.parametrize("size", ["1000000", "0", "-5", "ten", "26"])
def test_a_page_size_not_offered_is_refused_with_a_clear_message(client, staff, size):
    factories.place(staff, line_count=1)
    log_in(client, staff)

    response = client.get(f"/orders/?per_page={size}")

    assert response.status_code == 400
    assert "Choose 25, 50 or 100 orders per page" in response.content.decode()
    assert listed(response) == []
