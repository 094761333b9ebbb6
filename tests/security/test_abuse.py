"""Hostile and broken input: a clear 4xx or form error, no event written, never a 500.

The test client re-raises any exception a view lets escape, so "never a 500" fails loudly here.
Forged identity fields (company, order id, state, number...) are not errors: forms ignore
fields they do not declare, so those tests prove the forged values change nothing.
"""

from __future__ import annotations

import contextlib
import uuid
from functools import cached_property
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from events.models import Event
from orders import commands
from orders.models import Order
from tests import factories

from .conftest import ACTION_DATA, order_in_state, order_post_data

HTMX = {"HTTP_HX_REQUEST": "true"}
LONG = "a" * 10_000
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Shop:
    """An Acme manager's logged-in client; Acme orders in a few states and one Globex order,
    each made the first time a test asks for it."""

    def __init__(self, acme, globex, logged_in):
        self.acme, self.globex = acme, globex
        self.staff = factories.user(Role.STAFF, acme)
        self.manager = factories.user(Role.MANAGER, acme)
        self.client = logged_in(self.manager)

    def _order(self, state: str) -> Order:
        return order_in_state(state, self.staff, self.manager)

    @cached_property
    def draft(self) -> Order:
        return self._order("draft")

    @cached_property
    def submitted(self) -> Order:
        return self._order("submitted")

    @cached_property
    def approved(self) -> Order:
        return self._order("approved")

    @cached_property
    def in_fulfilment(self) -> Order:
        return self._order("in_fulfilment")

    @cached_property
    def foreign(self) -> Order:
        globex_staff = factories.user(Role.STAFF, self.globex)
        return order_in_state("submitted", globex_staff, factories.user(Role.MANAGER, self.globex))

    def url(self, order, suffix: str = "") -> str:
        return f"/orders/{order.id}/{suffix}"


@pytest.fixture
def shop(acme, globex, logged_in) -> Shop:
    return Shop(acme, globex, logged_in)


@contextlib.contextmanager
def writes_no_event():
    """Fails if the block appends an event. Make the shop's orders before entering it."""
    before = Event.objects.count()
    yield
    assert Event.objects.count() == before, "a refused request wrote an event"


def is_partial(response) -> bool:
    return "<html" not in response.content.decode()


# --- URLs -----------------------------------------------------------------------------------

MALFORMED_IDS = [
    "not-a-uuid",
    "123",
    "00000000-0000-0000-0000-00000000000g",
    "A1B2C3D4-0000-4000-8000-000000000000",  # upper case: not what the converter accepts
    "a1b2c3d400004000800000000000000",
    "{a1b2c3d4-0000-4000-8000-000000000000}",
    "a1b2c3d4-0000-4000-8000-000000000000x",
    "%00",
    "%2e%2e",
    "'%20OR%201=1--",
]
ORDER_SUFFIXES = ["", "edit/", "transitions/submit/", "notes/", "history/"]


@pytest.mark.django_db
@pytest.mark.parametrize("order_id", MALFORMED_IDS)
def test_a_malformed_order_id_in_a_url_is_404(shop, order_id):
    with writes_no_event():
        for suffix in ORDER_SUFFIXES:
            url = f"/orders/{order_id}/{suffix}"
            assert shop.client.get(url).status_code == 404, url
            assert shop.client.post(url, {"version": 1}).status_code == 404, url


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ORDER_SUFFIXES)
def test_an_order_id_that_matches_no_order_is_404(shop, suffix):
    nobody = uuid.UUID(int=0)
    with writes_no_event():
        get = shop.client.get(f"/orders/{nobody}/{suffix}")
        post = shop.client.post(f"/orders/{nobody}/{suffix}", order_post_data(version=1))

    assert get.status_code in (404, 405)  # transitions/notes take POST only
    assert post.status_code in (404, 405)  # detail/history take GET only
    assert 404 in (get.status_code, post.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "frobnicate",
        "SUBMIT",
        "submit%20",
        "submit%00",
        "submit;approve",
        "change",  # an FSM transition, but not a workflow action: the edit form is for that
        "add_note",
        "save",
        "delete",
        "__init__",
        "_meta",
        "get_all_state_transitions",
        "%2e%2e",
    ],
)
def test_an_unknown_action_name_is_404(shop, name):
    draft = shop.draft

    with writes_no_event():
        response = shop.client.post(
            shop.url(draft, f"transitions/{name}/"), {"version": draft.version, "reason": "x"}
        )

    assert response.status_code == 404


# --- forged fields --------------------------------------------------------------------------


def forged_fields(shop) -> dict[str, str]:
    """Everything an attacker might add to a form to act on something else."""
    return {
        "company": str(shop.foreign.company_id),
        "company_id": str(shop.foreign.company_id),
        "order_id": str(shop.foreign.id),
        "id": str(shop.foreign.id),
        "stream_id": str(shop.foreign.id),
        "state": "delivered",
        "number": shop.foreign.number,
        "sequence": "1",
        "actor": "globex.manager",
        "currency": "XXX",
    }


def assert_foreign_order_untouched(shop) -> None:
    stored = Order.objects.get(pk=shop.foreign.id)
    assert (stored.state, stored.version) == (shop.foreign.state, shop.foreign.version)
    assert Event.objects.filter(stream_id=shop.foreign.id).count() == shop.foreign.version


@pytest.mark.django_db
def test_forged_fields_on_the_create_form_are_ignored(shop, acme):
    response = shop.client.post("/orders/new/", order_post_data(**forged_fields(shop)))

    assert response.status_code == 302
    event = Event.objects.order_by("-position").first()
    order = Order.objects.get(pk=event.stream_id)
    assert (event.event_type, event.company_id, event.metadata["actor_username"]) == (
        "OrderPlaced",
        acme.id,
        shop.manager.username,
    )
    assert (order.company_id, order.state, order.version) == (acme.id, "draft", 1)
    assert order.number.startswith("ACME-") and order.id != shop.foreign.id
    assert event.payload["currency"] == acme.currency
    assert_foreign_order_untouched(shop)


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["edit", "submit", "note"])
def test_forged_fields_on_an_order_form_act_on_the_order_in_the_url_only(shop, form):
    draft = shop.draft
    url, data, status = {
        "edit": ("edit/", order_post_data(version=draft.version), 302),
        "submit": ("transitions/submit/", {"version": draft.version}, 303),
        "note": ("notes/", {"version": draft.version, "text": "Hello"}, 303),
    }[form]

    response = shop.client.post(shop.url(draft, url), {**data, **forged_fields(shop)})

    assert response.status_code == status
    (event,) = Event.objects.filter(stream_id=draft.id, version=draft.version + 1)
    assert event.company_id == draft.company_id
    stored = Order.objects.get(pk=draft.id)
    assert stored.state == ("submitted" if form == "submit" else "draft")  # not "delivered"
    assert_foreign_order_untouched(shop)


BAD_VERSIONS = {
    "-1": 422,
    "abc": 422,
    "": 422,
    "1.5": 422,
    "0x1": 422,
    "999999999999999999999": 422,  # more than a version column holds (2^31 - 1)
    "2147483647": 409,  # a possible version, just not this order's: "changed meanwhile"
    "0": 409,  # stale
}


@pytest.mark.django_db
@pytest.mark.parametrize("version", BAD_VERSIONS)
@pytest.mark.parametrize("form", ["edit", "transition", "note"])
def test_a_forged_version_is_refused_and_writes_nothing(shop, form, version):
    draft = shop.draft
    url, data = {
        "edit": ("edit/", order_post_data()),
        "transition": ("transitions/submit/", {}),
        "note": ("notes/", {"text": "Hello"}),
    }[form]

    with writes_no_event():
        response = shop.client.post(shop.url(draft, url), {**data, "version": version})

    assert response.status_code == BAD_VERSIONS[version]
    body = response.content.decode()
    if BAD_VERSIONS[version] == 409 and form == "edit":  # the typed form again, and the facts
        assert "What you typed is below, not saved" in body
    elif BAD_VERSIONS[version] == 409:
        assert "changed since your page showed it" in body
    else:
        assert "version" in body.lower() or "correct the errors" in body


# --- numbers and lengths --------------------------------------------------------------------

BAD_LINE_VALUES = [
    ("quantity", "-1"),
    ("quantity", "0"),
    ("quantity", str(10**12)),
    ("quantity", "1e309"),
    ("quantity", "NaN"),
    ("quantity", "1.5"),
    ("quantity", "9" * 5000),  # longer than int() converts: must be a form error, not a crash
    ("unit_price", "-0.01"),
    ("unit_price", "1e100"),
    ("unit_price", "0.001"),
    ("unit_price", "Infinity"),
    ("unit_price", "-Infinity"),
    ("unit_price", "NaN"),
    ("unit_price", "sNaN"),
    ("unit_price", "1e-999999"),
    ("unit_price", "10000000.01"),
    ("unit_price", "9" * 5000),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), BAD_LINE_VALUES)
@pytest.mark.parametrize("form", ["create", "edit"])
def test_an_impossible_quantity_or_price_is_a_form_error(shop, form, field, value):
    url = "/orders/new/" if form == "create" else shop.url(shop.draft, "edit/")
    version = None if form == "create" else shop.draft.version

    with writes_no_event():
        response = shop.client.post(
            url, order_post_data(version=version, **{f"lines-0-{field}": value})
        )

    assert response.status_code == 422
    assert f'id="id_lines-0-{field}_error"' in response.content.decode()  # crispy's error id


ORDER_TEXT_FIELDS = [
    "customer_name",
    "customer_reference",
    "customer_email",
    "shipping_address",
    "notes",
    "lines-0-sku",
    "lines-0-description",
]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ORDER_TEXT_FIELDS)
@pytest.mark.parametrize("form", ["create", "edit"])
def test_ten_thousand_characters_in_an_order_field_is_a_form_error(shop, form, field):
    url = "/orders/new/" if form == "create" else shop.url(shop.draft, "edit/")
    version = None if form == "create" else shop.draft.version

    with writes_no_event():
        response = shop.client.post(url, order_post_data(version=version, **{field: LONG}))

    assert response.status_code == 422
    assert "Ensure this value has at most" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "action", "field"),
    [
        ("submitted", "reject", "reason"),
        ("approved", "hold", "reason"),
        ("approved", "cancel", "reason"),
        ("in_fulfilment", "ship", "carrier"),
        ("in_fulfilment", "ship", "tracking_number"),
        ("draft", "notes", "text"),
    ],
)
def test_ten_thousand_characters_in_an_action_field_is_a_form_error(shop, state, action, field):
    order = getattr(shop, state)
    url = "notes/" if action == "notes" else f"transitions/{action}/"
    data = {"version": order.version, **ACTION_DATA.get(action, {}), field: LONG}

    with writes_no_event():
        response = shop.client.post(shop.url(order, url), data)

    assert response.status_code == 422
    assert "Ensure this value has at most" in response.content.decode()


# --- CSRF and methods -----------------------------------------------------------------------


@pytest.fixture
def csrf_client(shop) -> Client:
    client = Client(enforce_csrf_checks=True)
    factories.log_in(client, shop.manager)
    return client


def posts_without_a_token(shop) -> dict[str, tuple[str, dict]]:
    draft = shop.draft
    return {
        "create": ("/orders/new/", order_post_data()),
        "edit": (shop.url(draft, "edit/"), order_post_data(version=draft.version)),
        "transition": (shop.url(draft, "transitions/submit/"), {"version": draft.version}),
        "note": (shop.url(draft, "notes/"), {"version": draft.version, "text": "Hi"}),
        "logout": ("/accounts/logout/", {}),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("target", ["create", "edit", "transition", "note", "logout"])
def test_a_post_without_a_csrf_token_is_403(shop, csrf_client, target, htmx):
    url, data = posts_without_a_token(shop)[target]

    with writes_no_event():
        response = csrf_client.post(url, data, **(HTMX if htmx else {}))

    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    assert "_auth_user_id" in csrf_client.session  # not even logged out


@pytest.mark.django_db
def test_a_csrf_token_taken_from_another_session_is_403(shop, csrf_client, acme):
    other = Client(enforce_csrf_checks=True)
    factories.log_in(other, factories.user(Role.STAFF, acme))
    other.get("/orders/new/")
    stolen = other.cookies["csrftoken"].value
    draft = shop.draft

    with writes_no_event():
        response = csrf_client.post(
            shop.url(draft, "transitions/submit/"),
            {"version": draft.version, "csrfmiddlewaretoken": stolen},
        )

    assert response.status_code == 403


@pytest.mark.django_db
def test_login_without_a_csrf_token_is_403(shop):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/accounts/login/", {"username": shop.manager.username, "password": factories.PASSWORD}
    )

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["transitions/submit/", "transitions/cancel/", "notes/"])
def test_get_on_an_action_url_is_405(shop, suffix):
    url = shop.url(shop.draft, suffix)

    with writes_no_event():
        response = shop.client.get(url, {"version": 1, "reason": "x"})

    assert response.status_code == 405


PAGES = {
    "dashboard": lambda shop: "/",
    "list": lambda shop: "/orders/",
    "new": lambda shop: "/orders/new/",
    "detail": lambda shop: shop.url(shop.draft),
    "edit": lambda shop: shop.url(shop.draft, "edit/"),
    "history": lambda shop: shop.url(shop.draft, "history/"),
    "audit": lambda shop: "/audit/",
    "login": lambda shop: "/accounts/login/",
    "healthz": lambda shop: "/healthz",
}


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_put_delete_and_patch_on_pages_are_405(shop, page):
    url = PAGES[page](shop)
    client = Client() if page == "login" else shop.client  # a logged-in user is sent on
    methods = ("delete", "patch") if page == "login" else ("put", "delete", "patch")  # see below

    with writes_no_event():
        for method in methods:
            response = getattr(client, method)(url, "version=1", content_type="text/plain")
            assert response.status_code == 405, method


@pytest.mark.django_db
def test_put_on_the_login_page_never_logs_in(shop):
    # Django's LoginView (a FormView) treats PUT like POST, but only a POST body is parsed into
    # request.POST: a PUT always meets an empty form, so it can neither log in nor be counted.
    client = Client()
    body = f"username={shop.manager.username}&password={factories.PASSWORD}"

    response = client.put("/accounts/login/", body, "application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert "_auth_user_id" not in client.session


# --- htmx, as_of and filters ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case",
    ["transition", "transition without reason", "note", "list filter", "audit filter", "as_of"],
)
def test_an_htmx_request_with_bad_data_gets_a_4xx_partial_with_the_error(shop, case):
    submitted = shop.submitted
    send, status, marker = {
        "transition": (
            lambda c: c.post(shop.url(submitted, "transitions/approve/"), {"version": "x"}, **HTMX),
            422,
            'id="state-panel"',
        ),
        "transition without reason": (
            lambda c: c.post(
                shop.url(submitted, "transitions/reject/"), {"version": submitted.version}, **HTMX
            ),
            422,
            "This field is required.",
        ),
        "note": (
            lambda c: c.post(shop.url(submitted, "notes/"), {"version": 1, "text": ""}, **HTMX),
            422,
            "This field is required.",
        ),
        "list filter": (
            lambda c: c.get("/orders/", {"total_min": "abc"}, **HTMX),
            400,
            'data-testid="filter-errors"',
        ),
        "audit filter": (lambda c: c.get("/audit/", {"before": "abc"}, **HTMX), 400, "alert"),
        "as_of": (
            lambda c: c.get(shop.url(submitted, "history/"), {"as_of": "soon"}, **HTMX),
            400,
            "Enter a valid date/time.",
        ),
    }[case]

    with writes_no_event():
        response = send(shop.client)

    assert response.status_code == status
    assert is_partial(response)
    assert marker in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2999-01-01T00:00", "in the future"),
        ("9999-12-30T23:59:59", "in the future"),
        ("9999-12-31T23:59:59", "Enter a date between 0001-01-02 and 9999-12-30."),
        ("yesterday", "Enter a valid date/time."),
        ("2026-13-45T10:00", "Enter a valid date/time."),
        ("2026-02-30T10:00", "Enter a valid date/time."),
        ("2026-01-01T25:61", "Enter a valid date/time."),
        ("9" * 100, "Enter a valid date/time."),
        ("%00", "Enter a valid date/time."),
    ],
)
def test_an_as_of_in_the_future_or_malformed_is_400(shop, as_of, message):
    url = shop.url(shop.submitted, "history/")

    page = shop.client.get(url, {"as_of": as_of})
    partial = shop.client.get(url, {"as_of": as_of}, **HTMX)

    assert (page.status_code, partial.status_code) == (400, 400)
    assert message in page.content.decode()
    assert message in partial.content.decode()
    assert is_partial(partial)


LIST_FILTERS = [
    ({"state": "bogus"}, "state"),
    ({"total_min": "abc"}, "total_min"),
    ({"total_min": "-1"}, "total_min"),
    ({"total_min": "1e309"}, "total_min"),
    ({"total_max": "NaN"}, "total_max"),
    ({"total_max": "Infinity"}, "total_max"),
    ({"placed_after": "2026-13-45"}, "placed_after"),
    ({"placed_before": "'; DROP TABLE orders;--"}, "placed_before"),
    ({"sort": "password"}, "sort"),
    ({"sort": "-company__name"}, "sort"),
    ({"page": "-5"}, "page"),
    ({"page": "abc"}, "page"),
    ({"q": LONG}, "q"),
    ({"placed_after": "2026-02-01", "placed_before": "2026-01-01"}, "placed_before"),
    ({"total_min": "10", "total_max": "5"}, "total_max"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "field"), LIST_FILTERS, ids=lambda v: str(v)[:40])
def test_order_list_filters_of_the_wrong_type_are_400_with_the_error(shop, params, field):
    response = shop.client.get("/orders/", params)

    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="filter-errors"' in body
    assert f"<code>{field}</code>" in body
    assert "0 orders" in body  # an invalid filter shows nothing rather than everything


AUDIT_FILTERS = [
    ({"before": "abc"}, "before"),
    ({"before": "-1"}, "before"),
    ({"before": "0"}, "before"),
    ({"before": "9" * 5000}, "before"),
    ({"occurred_after": "2026-13-45"}, "occurred_after"),
    ({"occurred_before": "tomorrow"}, "occurred_before"),
    ({"event_type": "bogus"}, "event_type"),
    ({"actor": "a" * 151}, "actor"),
    ({"order": "O" * 33}, "order"),
    ({"occurred_after": "2026-02-01", "occurred_before": "2026-01-01"}, "occurred_before"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "field"), AUDIT_FILTERS, ids=lambda v: str(v)[:40])
def test_audit_filters_of_the_wrong_type_are_400_with_the_error(shop, params, field):
    for query in (params, {**params, "format": "csv"}):  # the CSV export validates the same way
        response = shop.client.get("/audit/", query)

        body = response.content.decode()
        assert response.status_code == 400
        assert f"<code>{field}</code>" in body
        assert "<table" not in body  # no events are listed under an invalid filter


# --- property-based fuzzing -----------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
NUMBERISH = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "-0", "1e309", "0x10", "1_000", " 7 ", "1,5", "9" * 5000]),
)
ANY_VALUE = st.one_of(TEXT, NUMBERISH)
ORDER_FIELDS = [
    "customer_name",
    "customer_reference",
    "customer_email",
    "shipping_address",
    "notes",
    "lines-INITIAL_FORMS",
    "lines-0-sku",
    "lines-0-description",
    "lines-0-quantity",
    "lines-0-unit_price",
    "lines-0-DELETE",
    "lines-1-quantity",
    "lines-1-unit_price",
]


def assert_outcome(response, events_before: int) -> None:
    """Never 5xx; a refusal writes nothing; a success writes exactly one event."""
    assert response.status_code < 500
    written = Event.objects.count() - events_before
    succeeded = 200 <= response.status_code < 400
    assert written == (1 if succeeded else 0), (response.status_code, written)


@pytest.mark.django_db
@FUZZ
@given(
    fields=st.fixed_dictionaries({}, optional=dict.fromkeys(ORDER_FIELDS, ANY_VALUE)),
    total_forms=st.one_of(NUMBERISH, TEXT),
)
def test_fuzzed_order_forms_never_crash_and_write_only_on_success(shop, fields, total_forms):
    data = {"lines-TOTAL_FORMS": total_forms, **fields}
    events_before = Event.objects.count()

    response = shop.client.post("/orders/new/", data)

    assert_outcome(response, events_before)


ACTION_NAMES = st.one_of(
    st.sampled_from([*commands.workflow_transitions(), "change", "add_note", "__class__"]),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40),
)


@pytest.mark.django_db
@FUZZ
@given(
    name=ACTION_NAMES,
    version=st.one_of(st.integers(min_value=-2, max_value=8).map(str), NUMBERISH, TEXT),
    fields=st.fixed_dictionaries(
        {}, optional=dict.fromkeys(["reason", "carrier", "tracking_number", "state"], TEXT)
    ),
    htmx=st.booleans(),
)
def test_fuzzed_actions_never_crash_and_write_only_on_success(shop, name, version, fields, htmx):
    url = shop.url(shop.submitted, f"transitions/{quote(name, safe='')}/")
    events_before = Event.objects.count()

    data = {"version": version, "confirmed": "yes", **fields}  # past deliver/cancel's question
    response = shop.client.post(url, data, **(HTMX if htmx else {}))

    assert_outcome(response, events_before)
