"""No date or number a user can send, however large, yields a 500: every bound is a 4xx.

The inputs are found, not listed: every URL of the resolver is opened (as the tenant tests walk
them) and every form on the page (forms, formsets, filter sets, the detail page's action forms)
is searched for date, datetime, integer and decimal fields. Each such field is then sent with
values past what Python or a 64-bit column holds, as a query string to the page that shows it
and in a POST to every URL that takes one.
"""

from __future__ import annotations

import pytest
from django import forms
from django.test import Client
from django_filters import FilterSet

from tests import factories

from .conftest import ACTION_DATA, order_post_data
from .test_tenant_isolation import ROUTES, candidates, possible

pytestmark = pytest.mark.django_db

EXTREMES = {
    "date": ["9999-12-31", "0001-01-01", "99999-01-01"],
    "datetime": [
        "9999-12-31T23:59:59",
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00",
    ],
    "integer": [str(2**63), str(-(2**63) - 1), "9" * 40],
    "decimal": ["9" * 40, "-" + "9" * 40, "1e400", "NaN", "Infinity"],
}


def kind_of(field: forms.Field) -> str | None:
    if isinstance(field, forms.DateTimeField):
        return "datetime"
    if isinstance(field, forms.DateField):
        return "date"
    if isinstance(field, forms.IntegerField):
        return "integer"
    if isinstance(field, forms.DecimalField | forms.FloatField):
        return "decimal"
    return None


def forms_in(value, depth: int = 0):
    """The forms inside a template context value (forms, formsets, filter sets, lists of dicts
    holding forms), without their instances' duplicates."""
    if isinstance(value, forms.BaseForm):
        yield value
    elif isinstance(value, forms.BaseFormSet):
        yield value.forms[0] if value.forms else value.empty_form
    elif isinstance(value, FilterSet):
        yield value.form
    elif depth < 2 and isinstance(value, dict):
        for item in value.values():
            yield from forms_in(item, depth + 1)
    elif depth < 2 and isinstance(value, list | tuple):
        for item in value:
            yield from forms_in(item, depth + 1)


def bounded_inputs(response) -> dict[str, str]:
    """{input name: kind} of every date/number field of every form the page was rendered with."""
    found = {}
    # One template rendered (a page without includes, as the printed order): a Context, not a
    # list of them.
    contexts = response.context or []
    if hasattr(contexts, "flatten"):
        contexts = [contexts]
    for context in contexts:
        for value in context.flatten().values():
            for form in forms_in(value):
                for name, field in form.fields.items():
                    if kind := kind_of(field):
                        found[form.add_prefix(name)] = kind
    return found


def project_urls(orders, tenants_like) -> list[str]:
    """Every URL of the resolver, with our own orders in its parameters."""
    urls = []
    for route in ROUTES:
        if "<uuid:order_id>" not in route:
            urls.append("/" + route)
            continue
        for order in orders:
            url = "/" + route.replace("<uuid:order_id>", str(order.id))
            if "<str:name>" not in url:
                urls.append(url)
                continue
            for action in candidates("str", "name", tenants_like):
                if possible(str(order.id), action, tenants_like):
                    urls.append(url.replace("<str:name>", action))
    return urls


class _Own:
    """The shape `candidates`/`possible` expect, holding our own company's orders."""

    def __init__(self, orders):
        self.globex_orders = {order.state: order for order in orders}


@pytest.fixture
def own_orders(staff, manager):
    return [
        factories.advance(factories.place(staff), state, staff=staff, manager=manager)
        for state in ("draft", "approved", "shipped")
    ]


def test_every_date_and_number_input_refuses_what_cannot_be_held(own_orders, staff, manager):
    """Send every extreme to every input: as a manager (who reads every page) in the query
    string, and as Staff (who writes) in a POST to every URL."""
    urls = project_urls(own_orders, _Own(own_orders))
    clients = {}
    for user in (manager, staff):
        clients[user.username] = Client(raise_request_exception=False)
        clients[user.username].force_login(user)

    pages: dict[str, dict[str, str]] = {}
    for url in urls:
        response = clients[manager.username].get(url)
        assert response.status_code < 500, url
        pages[url] = bounded_inputs(response)
    every_input = {name: kind for inputs in pages.values() for name, kind in inputs.items()}
    # The walk must find the filters, as_of, the order form's numbers and the version.
    for expected in ("placed_before", "occurred_after", "before", "as_of", "page"):
        assert expected in every_input, sorted(every_input)
    for expected in ("version", "lines-0-quantity", "lines-0-unit_price", "total_min"):
        assert expected in every_input, sorted(every_input)

    failures = []
    for url, inputs in pages.items():
        for name, kind in inputs.items():
            for value in EXTREMES[kind]:
                status = clients[manager.username].get(url, {name: value}).status_code
                if status >= 500:
                    failures.append(f"GET {url}?{name}={value}: {status}")
    post_data = order_post_data(version=1, text="Note")
    for action_data in ACTION_DATA.values():
        post_data.update(action_data)
    post_urls = [u for u in urls if "logout" not in u]
    for url in post_urls:
        for name, kind in every_input.items():
            for value in EXTREMES[kind]:
                status = clients[staff.username].post(url, {**post_data, name: value}).status_code
                if status >= 500:
                    failures.append(f"POST {url} {name}={value}: {status}")
    assert not failures, "\n".join(failures)
