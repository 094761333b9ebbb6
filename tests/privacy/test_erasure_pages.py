"""The Manager's erasure from the order page, the certificate auditors read, and every page,
export and log view showing "[erased]" where the person's data was."""

from __future__ import annotations

import pytest

from events.models import Event
from events.sealing import ERASED
from orders import commands
from orders.events import OrderDetails
from tests import factories

NAME = "Philippa Wolstenholme"
EMAIL = "p.wolstenholme@example.net"


def place_for(actor, **overrides):
    details = OrderDetails(
        customer_name=overrides.get("name", NAME),
        customer_email=overrides.get("email", EMAIL),
        shipping_address="4 Privet Drive",
        notes="Leave at the back door",
    )
    return commands.place_order(actor=actor, details=details, lines=factories.lines(1))


def streamed(response) -> str:
    return b"".join(response.streaming_content).decode()


def erase_from_page(client, order, reason="Art. 17 request REF-9"):
    return client.post(f"/orders/{order.id}/erase/", {"reason": reason})


@pytest.mark.django_db
def test_a_manager_erases_the_customer_from_the_order_page_and_gets_the_certificate(
    client, staff, manager
):
    order = place_for(staff)
    other = place_for(staff)  # same person, second order
    factories.log_in(client, manager)
    assert "Erase this customer" in client.get(f"/orders/{order.id}/").content.decode()

    response = erase_from_page(client, order)

    event = Event.objects.get(event_type="ErasureRecorded")
    assert response.status_code == 302
    assert response["Location"] == f"/audit/erasures/{event.id}/"
    certificate = client.get(response["Location"]).content.decode()
    for shown in ("Art. 17 request REF-9", manager.username, event.hash, event.prev_hash):
        assert shown in certificate
    assert str(event.position - 1) in certificate
    for page in (f"/orders/{order.id}/", f"/orders/{other.id}/history/", "/orders/"):
        body = client.get(page).content.decode()
        assert NAME not in body and EMAIL not in body and "Privet" not in body, page
        assert ERASED in body, page
    exported = streamed(client.get("/orders/", {"format": "csv"}))
    assert NAME not in exported and ERASED in exported


@pytest.mark.django_db
def test_the_erasure_needs_a_reason_on_the_page(client, staff, manager):
    order = place_for(staff)
    factories.log_in(client, manager)

    response = erase_from_page(client, order, reason="   ")

    assert response.status_code == 400
    assert not Event.objects.filter(event_type="ErasureRecorded").exists()
    assert NAME in client.get(f"/orders/{order.id}/").content.decode()


@pytest.mark.django_db
def test_staff_may_not_erase_and_do_not_see_the_action(client, staff):
    order = place_for(staff)
    factories.log_in(client, staff)

    assert "Erase this customer" not in client.get(f"/orders/{order.id}/").content.decode()
    assert erase_from_page(client, order).status_code == 403
    assert not Event.objects.filter(event_type="ErasureRecorded").exists()


@pytest.mark.django_db
def test_the_auditor_sees_the_erasure_on_the_audit_log_and_its_certificate(
    client, staff, manager, auditor
):
    order = place_for(staff)
    factories.log_in(client, manager)
    erase_from_page(client, order)
    event = Event.objects.get(event_type="ErasureRecorded")
    factories.log_in(client, auditor)

    log = client.get("/audit/").content.decode()
    listing = client.get("/audit/erasures/").content.decode()
    certificate = client.get(f"/audit/erasures/{event.id}/")

    assert "Personal data erased" in log and NAME not in log
    assert f"/audit/erasures/{event.id}/" in listing
    assert certificate.status_code == 200
    assert order.number in certificate.content.decode()
    csv = streamed(client.get("/audit/", {"format": "csv"}))
    assert NAME not in csv and EMAIL not in csv and "ErasureRecorded" in csv


@pytest.mark.django_db
def test_another_companys_certificate_is_a_404(client, staff, manager, globex_manager):
    order = place_for(staff)
    factories.log_in(client, manager)
    erase_from_page(client, order)
    event = Event.objects.get(event_type="ErasureRecorded")
    factories.log_in(client, globex_manager)

    assert client.get(f"/audit/erasures/{event.id}/").status_code == 404
    assert client.post(f"/orders/{order.id}/erase/", {"reason": "x"}).status_code == 404
