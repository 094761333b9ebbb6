"""Erasing a customer record: its own stream and every order picked for it (or with its
address) read "[erased]"; the customer's page offers the Manager's action."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from customers.models import Customer
from events.models import Event
from events.sealing import ERASED
from orders import commands, erasure
from orders.events import OrderDetails
from projections.engine import rebuild
from projections.models import OrderSummary
from projections.registry import all_projections
from tests import factories
from tests.customers import factories as customer_factories

NAME = "Ottoline Sackville-Baggins"
EMAIL = "ottoline@bagend.example"


def order_for(actor, customer, **details):
    values = {"customer_name": NAME, "customer_email": EMAIL, "customer_id": str(customer.pk)}
    return commands.place_order(
        actor=actor, details=OrderDetails(**(values | details)), lines=factories.lines(1)
    )


@pytest.fixture
def ottoline(manager):
    return customer_factories.customer(manager, NAME, email=EMAIL, notes="VIP")


@pytest.mark.django_db
def test_a_customer_is_sealed_under_the_same_subject_as_the_orders_picked_for_it(staff, ottoline):
    order = order_for(staff, ottoline)

    created = Event.objects.get(stream_id=ottoline.pk)
    placed = Event.objects.get(stream_id=order.id)
    assert NAME not in json.dumps(created.payload) and NAME not in json.dumps(placed.payload)
    key_of = lambda sealed: sealed["sealed"].split(":")[1]  # noqa: E731
    assert key_of(created.payload["name"]) == key_of(placed.payload["details"]["customer_name"])


@pytest.mark.django_db
def test_erasing_a_customer_by_id_erases_its_record_and_its_orders(
    acme, staff, manager, ottoline, capsys
):
    picked = order_for(staff, ottoline)
    free_text = order_for(staff, ottoline, customer_id="")  # same address, not picked
    other = order_for(staff, ottoline, customer_id="", customer_email="x@y.example")

    call_command("erase_customer", company="acme", customer=str(ottoline.pk), reason="Art. 17")

    row = Customer.objects.get(pk=ottoline.pk)
    assert (row.name, row.email, row.notes, row.reference) == (
        ERASED,
        ERASED,
        ERASED,
        ottoline.reference,
    )
    for order in (picked, free_text):
        assert OrderSummary.objects.get(pk=order.id).customer_name == ERASED
    assert OrderSummary.objects.get(pk=other.id).customer_name == NAME
    recorded = Event.objects.get(event_type="ErasureRecorded").payload
    assert f"customer:{ottoline.pk}" in recorded["subjects"]
    assert str(ottoline.pk) in recorded["streams"]


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_after_a_customer_erasure_is_identical(
    rebuildable_db, acme, staff, manager, ottoline
):
    order_for(staff, ottoline)
    erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="r", actor=manager)
    customers = list(Customer.objects.order_by("id").values())
    summaries = list(OrderSummary.objects.order_by("id").values())

    rebuild(all_projections())

    assert list(Customer.objects.order_by("id").values()) == customers
    assert list(OrderSummary.objects.order_by("id").values()) == summaries
    assert customers[0]["name"] == ERASED


@pytest.mark.django_db
def test_a_manager_erases_from_the_customer_page(client, staff, manager, ottoline):
    order = order_for(staff, ottoline)
    factories.log_in(client, manager)
    assert "Erase this customer" in client.get(f"/customers/{ottoline.pk}/").content.decode()

    response = client.post(f"/orders/customers/{ottoline.pk}/erase/", {"reason": "REF-3"})

    assert response.status_code == 302 and response["Location"].startswith("/audit/erasures/")
    body = client.get(f"/customers/{ottoline.pk}/").content.decode()
    assert NAME not in body and EMAIL not in body
    assert OrderSummary.objects.get(pk=order.id).customer_email == ERASED


@pytest.mark.django_db
def test_staff_cannot_erase_a_customer(client, staff, ottoline):
    factories.log_in(client, staff)

    assert (
        client.post(f"/orders/customers/{ottoline.pk}/erase/", {"reason": "x"}).status_code == 403
    )
    assert Customer.objects.get(pk=ottoline.pk).name == NAME


@pytest.mark.django_db
def test_the_audit_log_names_the_customer_opened_and_erased_after_the_erasure(
    client, acme, manager, ottoline
):
    factories.log_in(client, manager)
    before = client.get("/audit/").content.decode()
    erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="r", actor=manager)
    after = client.get("/audit/").content.decode()

    assert NAME in before and '"sealed"' not in before and "v1:" not in before
    assert NAME not in after and ERASED in after


@pytest.mark.django_db
def test_another_companys_customer_is_a_404_and_stays(client, globex_manager, ottoline):
    factories.log_in(client, globex_manager)

    response = client.post(f"/orders/customers/{ottoline.pk}/erase/", {"reason": "x"})

    assert response.status_code == 404
    assert Customer.objects.get(pk=ottoline.pk).name == NAME
