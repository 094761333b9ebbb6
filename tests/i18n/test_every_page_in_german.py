"""Every page, walked from the URL resolver, reads in German for a German user (issue #29).

Each named route of the project (admin and the API aside, as in the tenancy walk) is filled with
this company's real objects and requested by each role with `User.language = "de"`, and
anonymously with `Accept-Language: de`. A page that answers 200 must hold no English text of
the interface (`visible_text.english_on_page`): a wrapped string not translated where it is
shown fails, and so does a string nobody wrapped. A new page is walked the day it is added.
"""

from __future__ import annotations

import itertools
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.test import Client

from accounts import commands as access
from accounts.models import ApiKey, Role, User
from audit import erasures
from customers import commands as records
from customers.models import Customer, Sku
from customers.validation import CustomerDetails, SkuDetails
from orders import commands, erasure, import_jobs
from orders.events import Line, OrderDetails, PolicySettings
from orders.models import ImportJob, SavedView
from tests import factories
from tests.security.test_tenant_isolation import PARAMETER, project_routes
from webhooks import commands as webhooks
from webhooks.models import WebhookEndpoint

from .visible_text import english_on_page

pytestmark = pytest.mark.django_db

ROUTES = sorted(set(project_routes()))
ROLES = (Role.MANAGER, Role.STAFF, Role.AUDITOR, Role.OPS)
# What this test puts on the pages, in German, so that only the interface is judged.
CUSTOMER = "Müller Haustechnik GmbH"
DATA = frozenset({CUSTOMER, "Acme Corp"})
# Data of every language too: the IANA time zones' names ("America/New York", as the zone
# pickers show them) and an erasure's data subjects, opaque ids ("customer:<uuid>").
ZONE_NAMES = frozenset(name.replace("_", " ") for name in zoneinfo.available_timezones())
OPAQUE_ID = re.compile(r"(?:customer|order):[0-9a-f-]{36}(?:, (?:customer|order):[0-9a-f-]{36})*")
# Pages of a single state are enough for each order route: one order per state.
STATES = ("draft", "submitted", "approved", "shipped", "delivered", "on_hold", "cancelled")
PATH = {
    "submitted": [("submit", {})],
    "approved": [("submit", {}), ("approve", {})],
    "shipped": [
        ("submit", {}),
        ("approve", {}),
        ("start_fulfilment", {}),
        ("ship", {"carrier": "DHL", "tracking_number": "JJD000390007"}),
    ],
    "delivered": [
        ("submit", {}),
        ("approve", {}),
        ("start_fulfilment", {}),
        ("ship", {"carrier": "DHL", "tracking_number": "JJD000390008"}),
        ("deliver", {}),
    ],
    "on_hold": [("submit", {}), ("approve", {}), ("hold", {"reason": "Lager prüfen"})],
    "cancelled": [("cancel", {"reason": "Kunde hat abgesagt"})],
}


def german_order(staff, manager, state: str):
    order = commands.place_order(
        actor=staff,
        details=OrderDetails(
            customer_name=CUSTOMER,
            customer_reference="AB-4711",
            customer_email="einkauf@mueller.example",
            shipping_address="Hauptstraße 5, 10115 Berlin",
        ),
        lines=[
            Line(sku="VENTIL-22", description="Kugelhahn", quantity=3, unit_price=Decimal("18.75"))
        ],
    )
    for name, data in PATH.get(state, []):
        actor = manager if name == "approve" else staff
        order = commands.transition(
            order.id, name, actor=actor, expected_version=order.version, **data
        )
    return order


@pytest.fixture
def company(acme):
    """Acme with its four roles (German), an order in each state, a note, a changed policy, a
    webhook endpoint and an API key: something on every page."""
    users = {role: factories.user(role, acme) for role in ROLES}
    User.objects.filter(company=acme).update(language="de")
    staff, manager = users[Role.STAFF], users[Role.MANAGER]
    orders = {state: german_order(staff, manager, state) for state in STATES}
    commands.add_note(
        orders["draft"].id, actor=staff, expected_version=orders["draft"].version,
        text="Bitte vor Mittag liefern.",
    )  # fmt: skip
    commands.change_policy(
        actor=manager,
        expected_version=0,
        settings=PolicySettings(staff_limit=Decimal("500.00"), reopen_days=14),
    )
    webhooks.create_endpoint(actor=manager, url="http://127.0.0.1:9/ledgerline")
    access.create_api_key(actor=manager, name="Webshop", role="Staff")
    # The customer and SKU pages, an erasure (its certificate), an import checked by the worker
    # (what it would import and refuse) and a saved view of each user.
    records.create_customer(
        actor=manager,
        details=CustomerDetails(
            name=CUSTOMER,
            reference="AB-4711",
            email="einkauf@mueller.example",
            billing_address="Hauptstraße 5, 10115 Berlin",
            notes="Anlieferung nur vormittags.",
        ),
    )
    records.create_sku(
        actor=manager,
        details=SkuDetails(code="VENTIL-22", description="Kugelhahn", unit_price=Decimal("18.75")),
    )
    gone = records.create_customer(
        actor=manager, details=CustomerDetails(name="Schmidt KG", reference="AB-0815")
    )
    erasure.erase_customer(
        company_id=acme.id, reason="Anfrage 2026-17", actor=manager, customer_id=str(gone.id)
    )
    job = import_jobs.import_job_create(
        actor=manager,
        orders_name="bestellungen.csv",
        orders=IMPORT_ORDERS.encode(),
        lines_name="positionen.csv",
        lines=IMPORT_LINES.encode(),
        time_zone="Europe/Berlin",
    )
    import_jobs.run_job(job.pk, dry_run=True)
    for user in users.values():
        SavedView.objects.create(
            company=acme,
            user=user,
            name="Offen",
            query="state=submitted",
            created_at=job.created_at,
        )
    return {"users": users, "orders": orders}


IMPORT_ORDERS = (
    "reference,customer_name,placed_at,submitted_at,approved_at,approved_by\n"
    "ALT-1,Müller Haustechnik GmbH,2025-03-01T09:00:00Z,2025-03-01T10:00:00Z,"
    "2025-03-02T08:00:00Z,Anna Berg\n"
    "ALT-2,Müller Haustechnik GmbH,2025-03-01T09:00:00Z,,2025-03-02T08:00:00Z,\n"
)
IMPORT_LINES = (
    "reference,sku,description,quantity,unit_price\n"
    "ALT-1,VENTIL-22,Kugelhahn,2,3.50\nALT-2,VENTIL-22,Kugelhahn,1,3.50\n"
)


def candidates(converter: str | None, name: str, company) -> list[str]:
    """Values for one URL parameter: this company's real objects."""
    acme = company["users"][Role.MANAGER].company
    if converter == "uuid" and name == "order_id":
        return [str(order.id) for order in company["orders"].values()]
    if converter == "uuid" and name == "user_id":
        return [str(company["users"][Role.STAFF].pk)]
    if converter == "uuid" and name == "endpoint_id":
        return [str(pk) for pk in WebhookEndpoint.objects.values_list("pk", flat=True)]
    if converter == "uuid" and name == "key_id":
        return [str(pk) for pk in ApiKey.objects.values_list("pk", flat=True)]
    if converter == "uuid" and name == "customer_id":
        return [str(pk) for pk in Customer.objects.values_list("pk", flat=True)]
    if converter == "uuid" and name == "sku_id":
        return [str(pk) for pk in Sku.objects.values_list("pk", flat=True)]
    if converter == "uuid" and name == "event_id":
        return [str(event.id) for event in erasures.erasures(acme.id)]
    if converter == "uuid" and name == "job_id":
        return [str(pk) for pk in ImportJob.objects.values_list("pk", flat=True)]
    if converter == "uuid" and name == "view_id":
        return [str(pk) for pk in SavedView.objects.values_list("pk", flat=True)]
    if converter == "uuid":
        return []  # nothing of that kind here (a parked outbox item): nothing to walk
    if name == "name":
        return list(commands.workflow_transitions())
    if name == "slug":
        return [acme.slug]
    return ["x"]


def urls_for(route: str, company) -> list[str]:
    parameters = list(PARAMETER.finditer(route))
    choices = [candidates(m["converter"], m["name"], company) for m in parameters]
    urls = []
    for values in itertools.product(*choices):
        url = route
        for match, value in zip(parameters, values, strict=True):
            url = url.replace(match.group(0), value, 1)
        urls.append("/" + url)
    return urls


def english_shown(client: Client, urls: list[str]) -> dict[str, list[str]]:
    """{url: its English texts} for the URLs that answer a page (200, HTML)."""
    found = {}
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        assert response["Content-Language"] == "de", url
        misses = [
            text
            for text in english_on_page(response.content.decode(), data=DATA)
            if text not in ZONE_NAMES and not OPAQUE_ID.fullmatch(text)
        ]
        if misses:
            found[url] = misses
    return found


def listing(found: dict[str, list[str]]) -> str:
    """The English found, a page and its texts a line (pytest cuts a long dict short)."""
    return "\n".join(f"{url}: {texts!r}" for url, texts in found.items())


def test_the_walk_covers_the_pages_and_their_objects(company):
    urls = [url for route in ROUTES for url in urls_for(route, company)]
    assert "/orders/" in urls and "/audit/" in urls and "/team/" in urls
    assert sum(url.startswith("/orders/") and url.endswith("/history/") for url in urls) == 7
    assert any(re.match(r"/integrations/[0-9a-f-]{36}/$", url) for url in urls)
    for page in (
        r"/customers/[0-9a-f-]{36}/",
        r"/customers/skus/[0-9a-f-]{36}/edit/",
        r"/audit/erasures/[0-9a-f-]{36}/",
        r"/orders/import/[0-9a-f-]{36}/",
    ):
        assert any(re.match(page + "$", url) for url in urls), page
    assert "/customers/skus/" in urls and "/orders/views/" in urls and "/orders/import/" in urls
    assert sum(url.startswith("/orders/") and url.endswith("/print/") for url in urls) == 7


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
def test_every_page_a_german_user_opens_is_in_german(client, company, role):
    factories.log_in(client, company["users"][role])
    urls = [url for route in ROUTES for url in urls_for(route, company)]
    # Pages that are answers to input: a form sent back with its errors, filters that do not
    # parse, a page that does not exist.
    urls += ["/orders/?total_min=abc&placed_after=gestern", "/audit/?event_type=Nichts", "/nix/"]
    # Pages behind a query: the history as of a moment and as of an event (and both at once,
    # refused), the log's areas, the searches of the customer and SKU lists.
    shipped = company["orders"]["shipped"].id
    urls += [
        f"/orders/{shipped}/history/?as_of=2030-01-01T00:00",
        f"/orders/{shipped}/history/?version=2",
        f"/orders/{shipped}/history/?as_of=2030-01-01T00:00&version=2",
        "/audit/?area=sign_ins",
        "/audit/?area=access",
        "/customers/?q=M%C3%BCller&inactive=1",
        "/customers/skus/?q=VENTIL",
        f"/orders/{shipped}/print/?document=packing-slip",
        f"/orders/{shipped}/print/?document=confirmation",
    ]

    found = english_shown(client, urls)
    assert found == {}, listing(found)


def test_the_rejected_order_form_is_in_german(client, company):
    factories.log_in(client, company["users"][Role.STAFF])

    response = client.post("/orders/new/", {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0"})

    assert response.status_code == 422
    assert english_on_page(response.content.decode(), data=DATA) == []
    assert "erforderlich" in response.content.decode()


def test_the_pages_seen_signed_out_follow_accept_language(client, company):
    urls = [url for route in ROUTES for url in urls_for(route, company)]

    found = english_shown(client, urls)
    assert found == {}, listing(found)


def test_the_check_finds_english_on_an_english_page(client, company):
    """The same walk for an English user finds English everywhere: the check can fail."""
    manager = company["users"][Role.MANAGER]
    User.objects.filter(pk=manager.pk).update(language="en")
    factories.log_in(client, manager)

    response = client.get("/orders/")

    assert response["Content-Language"] == "en"
    misses = english_on_page(response.content.decode(), data=DATA)
    assert "Orders" in misses and "New order" in misses
    # An unwrapped string (never in any catalogue) is caught by its words.
    assert english_on_page("<p>Nothing to see here</p>") == ["Nothing to see here"]
    assert english_on_page("<p>Nichts zu sehen</p><code>manage.py seed</code>") == []
    # Wrapped names joined on the page without translating each (a user's two roles).
    assert english_on_page("<span>Ops, Staff</span>") == ["Ops, Staff"]
    assert english_on_page("<span>Betrieb, Mitarbeiter</span>") == []


def test_the_answers_to_actions_are_in_german(client, company):
    """What a POST answers: a confirmation, the outcome of a bulk action, a refused action."""
    staff = company["users"][Role.STAFF]
    factories.log_in(client, staff)
    draft, submitted = company["orders"]["draft"], company["orders"]["submitted"]
    answers = {
        "bulk confirm": client.post(
            "/orders/bulk/",
            {"action": "cancel", "reason": "Doppelt", "orders": f"{draft.id}:{draft.version}"},
        ),
        "bulk outcome": client.post(
            "/orders/bulk/",
            {
                "action": "submit",
                "orders": [f"{draft.id}:{draft.version}", f"{submitted.id}:{submitted.version}"],
                "confirmed": "yes",
            },
        ),
        "confirm page": client.post(
            f"/orders/{submitted.id}/transitions/cancel/",
            {"version": submitted.version, "reason": "Doppelt"},
        ),
        "refused": client.post(
            f"/orders/{submitted.id}/transitions/submit/", {"version": submitted.version}
        ),
        "stale": client.post(
            f"/orders/{submitted.id}/notes/", {"version": submitted.version - 1, "text": "Hallo"}
        ),
    }

    shown = {
        name: english_on_page(response.content.decode(), data=DATA)
        for name, response in answers.items()
    }

    assert {name: response.status_code for name, response in answers.items()} == {
        "bulk confirm": 200,
        "bulk outcome": 200,
        "confirm page": 200,
        "refused": 422,
        "stale": 409,
    }
    assert {name: misses for name, misses in shown.items() if misses} == {}
    assert "Bestätigen" in answers["bulk confirm"].content.decode()


def test_the_warning_before_too_few_managers_would_remain_is_in_german(client, company):
    """The team page's question before a Manager leaves says why two are needed in German (the
    reason came from the policy in English)."""
    manager = company["users"][Role.MANAGER]
    other = factories.user(Role.MANAGER, manager.company, username="acme.manager2")
    commands.change_policy(
        actor=manager,
        expected_version=1,
        settings=PolicySettings(
            staff_limit=Decimal("500.00"), reopen_days=14, two_manager_limit=Decimal("10000")
        ),
    )
    factories.log_in(client, manager)

    response = client.post(f"/team/{other.pk}/deactivate/")

    assert response.status_code == 200
    assert "Nur 1 aktiver Manager bliebe übrig" in response.content.decode()
    assert english_on_page(response.content.decode(), data=DATA) == []
