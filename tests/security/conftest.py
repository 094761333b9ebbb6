"""Set-up shared by the security tests: two companies with orders, and logged-in clients."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from django.test import Client
from django.utils import timezone

from orders.models import Order
from tests import factories

ACME_CUSTOMER = "Acme Visible Customer"
GLOBEX_CUSTOMER = "Globex Secret Customer"
GLOBEX_MARKER = "GLOBEXSECRET"  # in the names of Globex's keys, endpoints, views, files...
# Every state an order can be in, so each route is tried against each kind of foreign order.
STATES = tuple(factories.PATHS)


@dataclasses.dataclass
class Tenants:
    acme_orders: dict[str, Order]
    globex_orders: dict[str, Order]
    # Globex's other objects a URL names, by parameter name (tests/security/test_tenant_isolation)
    objects: dict = dataclasses.field(default_factory=dict)

    @property
    def globex_secrets(self) -> list[str]:
        """Strings that must never appear in anything an Acme user is shown."""
        orders = self.globex_orders.values()
        return [
            GLOBEX_CUSTOMER,
            GLOBEX_MARKER,
            "globex.staff",
            "globex.manager",
            *(order.number for order in orders),
            *(str(order.id) for order in orders),
            *(value for name, value in self.objects.items() if name != "records"),
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


class Records:
    """Fresh objects of one company, of each kind a URL parameter names, made by its own people
    through the commands as the pages would (a parked outbox item and a saved view as rows:
    the worker and a preference make those). `for_parameter(name, route)` makes one for a URL,
    so a POST that changes or removes it leaves the next URL its own. `user` owns the saved
    views (they are a person's); `marker` goes into names, so a page showing one can be told."""

    def __init__(self, company, user=None, *, marker: str = ""):
        from tests.customers.factories import customer, sku

        self.company = company
        self.staff = factories.user("Staff", company)
        self.manager = factories.user("Manager", company)
        self.user = user or self.manager
        self.marker = marker or company.slug
        self._numbers = itertools.count(1)
        self._customer, self._sku = customer, sku

    def for_parameter(self, name: str, route: str):
        """(value for the URL, the order it names or None)."""
        number = next(self._numbers)
        if name == "order_id":
            order = factories.place(self.staff, customer=f"{self.marker} customer")
            if "/amend/" in route:  # only an approved order is amended
                order = factories.advance(order, "approved", staff=self.staff, manager=self.manager)
            return str(order.id), order
        return str(getattr(self, name)(number)), None

    def customer_id(self, number):
        return self._customer(self.staff, f"{self.marker} customer {number}").pk

    def sku_id(self, number):
        return self._sku(self.manager, f"{self.marker}-SKU-{number}").pk

    def user_id(self, number):
        username = f"{self.company.slug}.colleague{number}"
        return factories.user("Staff", self.company, username=username).pk

    def key_id(self, number):
        from accounts import commands as access

        name = f"{self.marker} key {number}"
        return access.create_api_key(actor=self.manager, name=name, role="Staff").api_key.pk

    def endpoint_id(self, number):
        from webhooks import commands as webhooks

        url = f"http://127.0.0.1:9/{self.marker}-hook-{number}"
        return webhooks.create_endpoint(actor=self.manager, url=url).endpoint.pk

    def event_id(self, number):
        """An erasure's event (its certificate's page)."""
        from audit import erasures
        from orders import erasure

        gone = self.customer_id(number)
        erasure.erase_customer(
            company_id=self.company.pk,
            reason="Art. 17 request",
            actor=self.manager,
            customer_id=str(gone),
        )
        return erasures.erasures(self.company.pk)[0].id

    def job_id(self, number):
        from orders import import_jobs

        return import_jobs.import_job_create(
            actor=self.manager,
            orders_name=f"{self.marker}-orders-{number}.csv",
            orders=b"reference,customer_name,placed_at\nALT-1,Someone,2025-03-01T09:00:00Z\n",
            lines_name=f"{self.marker}-lines-{number}.csv",
            lines=b"reference,sku,description,quantity,unit_price\nALT-1,S-1,Part,1,1.00\n",
            time_zone="UTC",
        ).pk

    def view_id(self, number):
        from orders.models import SavedView

        return SavedView.objects.create(
            company=self.company,
            user=self.user,
            name=f"{self.marker} view {number}",
            query="state=draft",
            created_at=timezone.now(),
        ).pk

    def item_id(self, number):
        """A delivery the worker parked (the ops desk's retry and skip)."""
        from outbox.models import OutboxItem

        return OutboxItem.objects.create(
            subscriber="notifier",
            company_id=self.company.pk,
            key=f"{self.marker}-{number}",
            position=1,
            summary=f"{self.marker} mail",
            status="parked",
            attempts=8,
            last_error="SMTPServerDisconnected",
            next_attempt_at=timezone.now(),
            created_at=timezone.now(),
            parked_at=timezone.now(),
        ).pk
