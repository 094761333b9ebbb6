"""The customer and SKU pages: company-scoped lists with search, a customer's page with its
orders and totals, create/edit/deactivate through the commands, bounded auto-complete."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import selectors
from customers.models import Customer, Sku
from events.models import Event
from orders import commands as order_commands
from tests import factories
from tests.factories import log_in
from tests.vendor import ON_POSTGRES

from .factories import customer, sku

pytestmark = pytest.mark.django_db


def test_the_list_searches_name_reference_and_email_in_any_case(client, staff, globex_staff):
    customer(staff, "Hooli Hardware", reference="H-1", email="gavin@hooli.example")
    customer(staff, "Initech")
    customer(globex_staff, "Hooli Globex")
    log_in(client, staff)

    for query in ("hooli", "h-1", "GAVIN@"):
        response = client.get("/customers/", {"q": query})
        assert response.status_code == 200
        assert "Hooli Hardware" in response.text and "Initech" not in response.text
        assert "Hooli Globex" not in response.text


def test_the_list_is_paged_whatever_is_asked(client, staff):
    log_in(client, staff)
    response = client.get("/customers/", {"page": "999999999"})
    assert response.status_code == 200
    response = client.get("/customers/", {"page": "-1"})
    assert response.status_code == 400


def test_another_company_s_customer_and_sku_are_404(client, staff, globex_staff, globex_manager):
    theirs = customer(globex_staff, "Secret")
    their_sku = sku(globex_manager, "SECRET")
    log_in(client, staff)
    assert client.get(f"/customers/{theirs.pk}/").status_code == 404
    assert client.get(f"/customers/{theirs.pk}/edit/").status_code == 404
    response = client.post(f"/customers/{theirs.pk}/edit/", {"name": "x", "version": 1})
    assert response.status_code == 404
    assert client.get(f"/customers/skus/{their_sku.pk}/edit/").status_code == 403  # Staff
    log_in(client, factories.user("Manager", staff.company))
    assert client.post(f"/customers/{theirs.pk}/deactivate/", {"version": 1}).status_code == 404
    assert client.get(f"/customers/skus/{their_sku.pk}/edit/").status_code == 404
    assert Customer.objects.get(pk=theirs.pk).name == "Secret"


def test_staff_adds_a_customer_through_the_page(client, staff):
    log_in(client, staff)
    page = client.get("/customers/new/")
    token = page.context["form"]["token"].value()
    data = {"name": "Hooli", "reference": "H-9", "email": "a@hooli.example", "token": token}
    response = client.post("/customers/new/", data)
    made = Customer.objects.get(reference="H-9")
    assert response.status_code == 302 and response["Location"] == f"/customers/{made.pk}/"
    again = client.post("/customers/new/", data)  # the same form sent twice
    assert again.status_code == 302 and Customer.objects.count() == 1


def test_bad_input_on_the_page_is_shown_and_writes_nothing(client, staff):
    customer(staff, reference="H-1")
    log_in(client, staff)
    before = Event.objects.count()
    response = client.post("/customers/new/", {"name": "", "email": "nope"})
    assert response.status_code == 422
    response = client.post("/customers/new/", {"name": "Dup", "reference": "h-1"})
    assert response.status_code == 422 and "already used" in response.text
    assert Event.objects.count() == before


def test_the_customer_page_lists_its_orders_with_totals_per_state(client, staff, manager, acme):
    hooli = customer(staff, "Hooli")
    details = factories.details("Hooli")
    for state in ("draft", "submitted", "submitted"):
        order = order_commands.place_order(
            actor=staff,
            details=details.__class__(**{**details.__dict__, "customer_id": str(hooli.pk)}),
            lines=factories.lines(2),
        )
        factories.advance(order, state, staff=staff, manager=manager)
    factories.place(staff, customer="Hooli")  # free text: not this customer's
    log_in(client, staff)

    response = client.get(f"/customers/{hooli.pk}/")

    assert response.status_code == 200
    totals = {row["state"]: row for row in response.context["totals"]}
    assert totals["submitted"]["count"] == 2 and totals["submitted"]["total_cents"] == 2 * 3197
    assert totals[""]["count"] == 3 and totals[""]["total_cents"] == 3 * 3197
    assert "€95.91" in response.text
    assert len(response.context["orders"]) == 3


def test_a_customers_totals_are_summed_by_the_database_one_row_per_state(staff, manager):
    """However many orders the customer has, the database answers one row per state (QA after
    issue #25: the rows were summed in Python), read from the customer's own index range."""
    hooli = customer(staff, "Hooli")
    details = factories.details("Hooli")
    for state in ("draft", "draft", "draft", "submitted", "submitted"):
        order = order_commands.place_order(
            actor=staff,
            details=details.__class__(**{**details.__dict__, "customer_id": str(hooli.pk)}),
            lines=factories.lines(2),
        )
        factories.advance(order, state, staff=staff, manager=manager)

    with CaptureQueriesContext(connection) as captured:
        totals = selectors.order_totals(staff, hooli.pk)

    assert [(row["state"], row["count"], row["total_cents"]) for row in totals] == [
        ("draft", 3, 3 * 3197),
        ("submitted", 2, 2 * 3197),
        ("", 5, 5 * 3197),
    ]
    (sql,) = [query["sql"] for query in captured.captured_queries]
    assert "GROUP BY" in sql and "SUM(" in sql and "COUNT(" in sql
    if not ON_POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            steps = " ".join(row[-1] for row in cursor.fetchall())
        assert "summary_co_cust_placed (company_id=? AND customer_id=?)" in steps, steps


def test_only_a_manager_deactivates_and_the_page_says_so(client, staff, manager):
    made = customer(staff)
    log_in(client, staff)
    assert client.post(f"/customers/{made.pk}/deactivate/", {"version": 1}).status_code == 403
    log_in(client, manager)
    response = client.post(f"/customers/{made.pk}/deactivate/", {"version": 1}, follow=True)
    assert response.status_code == 200 and 'data-testid="deactivated"' in response.text
    assert not Customer.objects.get(pk=made.pk).active
    stale = client.post(f"/customers/{made.pk}/reactivate/", {"version": 1}, follow=True)
    assert "changed" in stale.text.lower() and not Customer.objects.get(pk=made.pk).active


def test_a_manager_keeps_the_price_list(client, manager):
    log_in(client, manager)
    page = client.get("/customers/skus/new/")
    token = page.context["form"]["token"].value()
    data = {"code": "BOLT-8", "description": "Bolt", "unit_price": "0.30", "token": token}
    assert client.post("/customers/skus/new/", data).status_code == 302
    made = Sku.objects.get(code="BOLT-8")
    assert made.unit_price_cents == 30
    response = client.post(
        f"/customers/skus/{made.pk}/edit/",
        {"code": "BOLT-8", "description": "Bolt M8", "unit_price": "1e3", "version": 1},
    )
    assert response.status_code == 422
    assert client.get("/customers/skus/", {"q": "bolt"}).text.count("BOLT-8") >= 1
    assert Sku.objects.get(pk=made.pk).description == "Bolt"  # the refused edit wrote nothing


def test_the_auto_complete_answers_at_most_the_limit_and_only_active_own_customers(
    client, staff, manager, globex_staff
):
    for number in range(selectors.LOOKUP_LIMIT + 5):
        customer(staff, f"Acme Buyer {number}")
    gone = customer(staff, "Acme Gone")
    from customers import commands

    commands.deactivate_customer(gone.pk, actor=manager, expected_version=1)
    customer(globex_staff, "Acme Globex")
    log_in(client, staff)

    response = client.get("/customers/lookup/", {"customer": "acme"})

    assert response.status_code == 200
    assert response.text.count("data-customer-pick") == selectors.LOOKUP_LIMIT
    assert "Acme Gone" not in response.text and "Acme Globex" not in response.text
    assert client.get("/customers/lookup/", {"q": ""}).text.strip() == ""


def test_the_sku_auto_complete_reads_the_line_field_and_is_bounded(client, manager, staff):
    for number in range(selectors.LOOKUP_LIMIT + 3):
        sku(manager, f"BOLT-{number}")
    sku(manager, "NUT-1", description="Nut for bolts")
    log_in(client, staff)
    response = client.get("/customers/skus/lookup/", {"lines-3-sku": "bolt"})
    assert response.text.count("data-sku-pick") == selectors.LOOKUP_LIMIT
    response = client.get("/customers/skus/lookup/", {"q": "nut"})
    assert 'data-code="NUT-1"' in response.text and 'data-price="9.99"' in response.text


def test_customer_details_are_escaped_in_the_auto_complete(client, staff):
    customer(staff, 'Evil "><script>x</script>')
    log_in(client, staff)
    response = client.get("/customers/lookup/", {"q": "evil"})
    assert "<script>" not in response.text


def test_navigation_links_follow_permissions(client, staff, auditor, ops):
    log_in(client, staff)
    text = client.get("/orders/").text
    assert 'href="/customers/"' in text and 'href="/customers/skus/"' in text
    log_in(client, ops)
    assert 'href="/customers/"' not in client.get("/orders/").text


def test_the_api_lists_and_shows_customers_and_skus_with_etags(acme, staff, manager):
    from accounts.models import Role
    from tests.api.helpers import ApiClient, api_key

    hooli = customer(staff, "Hooli", reference="H-1")
    customer(staff, "Initech")
    bolt = sku(manager, "BOLT-1", price="0.30")
    client = ApiClient(api_key(acme, Role.STAFF))

    page = client.get("/api/v1/customers", q="hoo", limit="1").json()
    assert [row["name"] for row in page["results"]] == ["Hooli"]
    two = client.get("/api/v1/customers", limit="1").json()
    assert two["next"] and len(two["results"]) == 1
    one = client.get(f"/api/v1/customers/{hooli.pk}")
    assert one.status_code == 200 and one["ETag"] == '"1"' and one.json()["reference"] == "H-1"
    item = client.get(f"/api/v1/skus/{bolt.pk}")
    assert item.json()["unit_price"] == "0.30" and item["ETag"] == '"1"'
    assert client.get("/api/v1/skus", limit="500").status_code == 400


def test_the_api_order_carries_its_customer_id(acme, staff):
    from accounts.models import Role
    from tests.api.helpers import ApiClient, api_key, order_body

    hooli = customer(staff, "Hooli")
    client = ApiClient(api_key(acme, Role.STAFF))
    made = client.post("/api/v1/orders", {**order_body(), "customer_id": str(hooli.pk)})
    assert made.status_code == 201 and made.json()["customer_id"] == str(hooli.pk)
    bad = client.post("/api/v1/orders", {**order_body(), "customer_id": "nope"})
    assert bad.status_code == 422
    rows = client.get("/api/v1/orders").json()["results"]
    assert rows[0]["customer_id"] == str(hooli.pk)


def test_the_event_log_shows_customer_and_sku_events_in_words(client, staff, manager):
    customer(staff, "Hooli", reference="H-1")
    sku(manager, "BOLT-1")
    log_in(client, manager)
    response = client.get("/audit/")
    assert response.status_code == 200
    assert "Customer created" in response.text and "SKU created" in response.text
    assert client.get("/audit/", {"format": "csv"}).status_code == 200
