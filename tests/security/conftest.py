"""Set-up shared by the security tests: two companies with orders, and logged-in clients."""

from __future__ import annotations

import dataclasses

import pytest
from django.test import Client

from orders.models import Order
from tests import factories

ACME_CUSTOMER = "Acme Visible Customer"
GLOBEX_CUSTOMER = "Globex Secret Customer"
# Every state an order can be in, so each route is tried against each kind of foreign order.
STATES = tuple(factories.PATHS)


@dataclasses.dataclass
class Tenants:
    acme_orders: dict[str, Order]
    globex_orders: dict[str, Order]

    @property
    def globex_secrets(self) -> list[str]:
        """Strings that must never appear in anything an Acme user is shown."""
        orders = self.globex_orders.values()
        return [
            GLOBEX_CUSTOMER,
            "globex.staff",
            "globex.manager",
            *(order.number for order in orders),
            *(str(order.id) for order in orders),
        ]


def order_in_state(state: str, staff, manager, **place_kwargs) -> Order:
    """An order placed by the given Staff and brought to `state` with the given Manager."""
    order = factories.place(staff, **place_kwargs)
    return factories.advance(order, state, staff=staff, manager=manager)


def build_tenants(staff, manager, globex_staff, globex_manager, globex_states) -> Tenants:
    """Acme: a draft and a submitted order. Globex: one order in each of `globex_states`."""
    return Tenants(
        acme_orders={
            state: order_in_state(state, staff, manager, customer=ACME_CUSTOMER)
            for state in ("draft", "submitted")
        },
        globex_orders={
            state: order_in_state(state, globex_staff, globex_manager, customer=GLOBEX_CUSTOMER)
            for state in globex_states
        },
    )


@pytest.fixture
def tenants(staff, manager, globex_staff, globex_manager) -> Tenants:
    """Two companies' orders; Globex has one in every state (for walking every URL)."""
    return build_tenants(staff, manager, globex_staff, globex_manager, STATES)


@pytest.fixture
def two_companies(staff, manager, globex_staff, globex_manager) -> Tenants:
    """Two companies' orders; Globex has three (enough for lists, dashboard and exports)."""
    return build_tenants(
        staff, manager, globex_staff, globex_manager, ("draft", "submitted", "shipped")
    )


@pytest.fixture
def logged_in():
    """`logged_in(user)`: a test client with `user` logged in (force_login: axes needs a request
    in authenticate(), which Client.login() does not pass)."""

    def make(user, **defaults) -> Client:
        client = Client(**defaults)
        # factories.user() re-hashes the password on every call (get_or_create, then
        # set_password), which would void a session made from an older copy of the user.
        user.refresh_from_db()
        factories.log_in(client, user)
        return client

    return make


def body_of(response) -> str:
    """The whole body of a response, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def order_post_data(*, customer: str = "Wile E. Coyote", version: int | None = None, **extra):
    """A valid order form POST (one line), optionally with the edit form's version."""
    data = {
        "customer_name": customer,
        "customer_reference": "PO-77",
        "customer_email": "wile@acme.example",
        "shipping_address": "1 Desert Road",
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-sku": "ROCKET-1",
        "lines-0-description": "Rocket skates",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "19.99",
    }
    if version is not None:
        data["version"] = str(version)
    data.update({key: str(value) for key, value in extra.items()})
    return data


# The data each workflow action needs besides the version.
ACTION_DATA = {
    "reject": {"reason": "Wrong prices"},
    "hold": {"reason": "Stock check"},
    "cancel": {"reason": "Customer withdrew"},
    "reopen": {"reason": "Marked delivered by mistake"},
    "ship": {"carrier": "DHL", "tracking_number": "TRK-9"},
}
