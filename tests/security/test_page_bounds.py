"""Every page's size and work are bounded whatever its parameters and whatever the data (issue
#24 item 7): the parameters that widen a page (date ranges, periods, page numbers) are found by
walking every URL of the resolver and every form on its page, as the input-bounds walk does,
and each is sent at its widest VALID values (the first and last day the date fields accept,
every choice, the largest page number) against a company whose orders span year 1 to 9999.

Each answer must be a 4xx or a page below MAX_PAGE_BYTES built with at most MAX_QUERIES queries.
"""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace
from unittest import mock

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, ContextList

from common.form_fields import BIGINT_MAX, EARLIEST_DATE, LATEST_DATE
from events import store
from tests import factories

from .test_input_bounds import forms_in, project_urls

pytestmark = pytest.mark.django_db

MAX_PAGE_BYTES = 300_000
MAX_QUERIES = 60


def widening_inputs(response) -> dict[str, list[str]]:
    """{input name: its widest values} for the date, choice and page-number fields of every
    form the page was rendered with."""
    found: dict[str, list[str]] = {}
    contexts = response.context
    if contexts is None:
        contexts = []
    elif not isinstance(contexts, ContextList):  # one template rendered: its Context alone
        contexts = [contexts]
    for context in contexts:
        for value in context.flatten().values():
            for form in forms_in(value):
                for name, field in form.fields.items():
                    key = form.add_prefix(name)
                    if isinstance(field, forms.DateField | forms.DateTimeField):
                        found[key] = [EARLIEST_DATE.isoformat(), LATEST_DATE.isoformat()]
                    elif isinstance(field, forms.ChoiceField) and not field.widget.is_hidden:
                        found[key] = [str(v) for v, _ in field.choices if v not in ("", None)]
                    elif isinstance(field, forms.IntegerField) and name == "page":
                        found[key] = [str(BIGINT_MAX), "1"]
    return found


def widest_queries(inputs: dict[str, list[str]]) -> list[dict[str, str]]:
    """Each input alone at each of its values, and each pair of date inputs as the widest range
    in both orders (which one is `from` is not known here)."""
    queries = [{name: value} for name, values in inputs.items() for value in values]
    dates = [name for name, values in inputs.items() if values[0] == EARLIEST_DATE.isoformat()]
    for a, b in itertools.permutations(dates, 2):
        queries.append({a: EARLIEST_DATE.isoformat(), b: LATEST_DATE.isoformat()})
    return queries


@pytest.fixture
def orders_over_the_whole_calendar(staff, manager):
    """Orders placed on the first and last days the store accepts and today, one delivered."""
    with mock.patch.object(store, "check_occurred_at"):  # the importer takes such dates
        placed = [
            factories.place(staff, at=dt.datetime(1, 1, 2, 12, tzinfo=dt.UTC)),
            factories.place(staff, at=dt.datetime(9999, 12, 30, 12, tzinfo=dt.UTC)),
        ]
    return [
        *placed,
        factories.advance(factories.place(staff), "delivered", staff=staff, manager=manager),
    ]


def test_no_parameter_widens_a_page_past_its_bounds(orders_over_the_whole_calendar, manager):
    orders = orders_over_the_whole_calendar
    own = SimpleNamespace(globex_orders={str(order.id): order for order in orders})
    urls = [url for url in project_urls(orders, own) if "logout" not in url]
    client = Client(raise_request_exception=False)
    factories.log_in(client, manager)

    failures, tried = [], set()
    for url in urls:
        page = client.get(url)
        for query in widest_queries(widening_inputs(page)):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, query)
            tried.update(query)
            if response.streaming:  # a CSV export: streamed in chunks, it grows with the data
                b"".join(response.streaming_content)
                continue
            if response.status_code >= 500:
                failures.append(f"GET {url}?{query}: {response.status_code}")
            elif response.status_code == 200 and (
                len(response.content) > MAX_PAGE_BYTES or len(queries) > MAX_QUERIES
            ):
                failures.append(
                    f"GET {url}?{query}: {len(response.content)} bytes, {len(queries)} queries"
                )
    # The walk must reach the dashboard's range and period, the lists' date filters and pages.
    for expected in ("from", "to", "period", "placed_after", "placed_before", "page"):
        assert expected in tried, sorted(tried)
    assert not failures, "\n".join(failures)
