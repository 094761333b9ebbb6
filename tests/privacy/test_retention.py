"""Retention: the worker erases the people whose orders all closed longer ago than the
company's retention period, once a day, each with an `ErasureRecorded` "retention". The clock
is injected: no sleeping."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer
from events.models import Event
from events.sealing import ERASED
from orders import commands, policy
from orders.erasure import RetentionSweep, expired_people
from orders.events import OrderDetails, PolicySettings
from outbox import engine
from projections.models import OrderSummary
from tests import factories
from tests.customers.factories import customer


def place_for(actor, name, email):
    details = OrderDetails(customer_name=name, customer_email=email, shipping_address="1 Lane")
    return commands.place_order(actor=actor, details=details, lines=factories.lines(1))


def cancel(order, actor):
    return commands.transition(
        order.id, "cancel", actor=actor, expected_version=order.version, reason="withdrawn"
    )


def set_retention(manager, days):
    current = policy.policy_in_force(manager.company_id)
    commands.change_policy(
        actor=manager,
        expected_version=current.version,
        settings=PolicySettings(**{**current.settings.__dict__, "retention_days": days}),
    )


@pytest.fixture
def people(acme, staff, manager):
    """Gone: both of Gwendolyn's orders cancelled. Still a customer: one of Horatio's orders is
    open. Never told: nobody's retention applies before 30 days."""
    gone = [cancel(place_for(staff, "Gwendolyn Ashcombe", "gwen@example.org"), staff)]
    gone.append(cancel(place_for(staff, "Gwendolyn Ashcombe", "GWEN@example.org"), staff))
    cancel(place_for(staff, "Horatio Pellinore", "horatio@example.org"), staff)
    open_order = place_for(staff, "Horatio Pellinore", "horatio@example.org")
    return gone, open_order


def sweep(company, now):
    engine.run_company(RetentionSweep(), company.pk, now=lambda: now)


@pytest.mark.django_db
def test_the_worker_erases_people_whose_orders_closed_before_the_retention_period(
    acme, manager, people
):
    gone, open_order = people
    set_retention(manager, 30)
    later = timezone.now() + dt.timedelta(days=31)

    sweep(acme, later)

    (recorded,) = Event.objects.filter(event_type="ErasureRecorded")
    assert (recorded.payload["kind"], recorded.payload["reason"]) == ("retention", "retention")
    assert recorded.payload["streams"] == sorted(str(order.id) for order in gone)
    assert recorded.metadata["actor_username"] == "system"
    for order in gone:
        assert OrderSummary.objects.get(pk=order.id).customer_name == ERASED
    assert OrderSummary.objects.get(pk=open_order.id).customer_name == "Horatio Pellinore"
    assert "Gwendolyn" not in json.dumps(list(OrderSummary.objects.values()), default=str)


@pytest.mark.django_db
def test_the_sweep_runs_once_a_day_and_waits_for_the_period(acme, manager, people):
    set_retention(manager, 30)
    now = timezone.now()

    sweep(acme, now + dt.timedelta(days=29))  # not yet
    assert not Event.objects.filter(event_type="ErasureRecorded").exists()
    assert expired_people(acme.pk, now + dt.timedelta(days=29)) == []
    sweep(acme, now + dt.timedelta(days=31))
    sweep(acme, now + dt.timedelta(days=31, hours=1))  # the same day: nothing more

    assert Event.objects.filter(event_type="ErasureRecorded").count() == 1
    assert expired_people(acme.pk, now + dt.timedelta(days=400)) == []  # already erased


@pytest.mark.django_db
def test_a_customer_record_without_orders_is_erased_after_the_period(acme, manager, staff):
    """QA after issue #30: the sweep looked only at orders, so a customer record that no order
    names was kept for ever. It counts from the record's last change; a record whose person
    has an open order (same e-mail address, typed on the order) is kept."""
    lonely = customer(manager, "Ophelia Quist", email="ophelia@example.org")
    kept = customer(manager, "Tybalt Renz", email="tybalt@example.org")
    place_for(staff, "Tybalt Renz", "tybalt@example.org")  # open, without the customer record
    set_retention(manager, 30)
    now = timezone.now()

    sweep(acme, now + dt.timedelta(days=29))
    assert not Event.objects.filter(event_type="ErasureRecorded").exists()
    sweep(acme, now + dt.timedelta(days=31))

    (recorded,) = Event.objects.filter(event_type="ErasureRecorded")
    assert recorded.payload["streams"] == [str(lonely.pk)]
    assert Customer.objects.get(pk=lonely.pk).name == ERASED
    assert Customer.objects.get(pk=kept.pk).name == "Tybalt Renz"
    assert expired_people(acme.pk, now + dt.timedelta(days=400)) == []  # already erased


def _sweep_queries_after_erasing(acme, manager, records: int, later) -> int:
    erased = Event.objects.filter(event_type="ErasureRecorded")
    before = erased.count()
    for i in range(records):
        customer(manager, f"Lonely {before + i}", email=f"lonely{before + i}@example.org")
    sweep(acme, later)
    assert erased.count() == before + records
    with CaptureQueriesContext(connection) as queries:
        assert expired_people(acme.pk, later + dt.timedelta(days=1)) == []
    return len(queries)


@pytest.mark.django_db
def test_erased_customer_records_are_not_looked_up_again_by_each_sweep(acme, manager):
    """An erased customer record is skipped as an erased order is: the daily sweep's work does
    not grow with the records it erased before (it looked each one up again, every day)."""
    set_retention(manager, 30)
    later = timezone.now() + dt.timedelta(days=31)
    few = _sweep_queries_after_erasing(acme, manager, 2, later)
    many = _sweep_queries_after_erasing(acme, manager, 10, later + dt.timedelta(days=1))
    assert many == few


@pytest.mark.django_db
def test_without_a_retention_period_nothing_is_erased(acme, people):
    sweep(acme, timezone.now() + dt.timedelta(days=3650))

    assert not Event.objects.filter(event_type="ErasureRecorded").exists()


@pytest.mark.django_db
def test_the_retention_period_is_set_on_the_controls_page(client, acme, manager):
    factories.log_in(client, manager)
    page = client.get("/orders/controls/").content.decode()
    assert "no retention period" in page

    form = {
        "version": "0",
        "four_eyes": "on",
        "reasons_required": ["reject", "hold", "cancel"],
        "reopen_days": "7",
        "retention_days": "365",
    }
    response = client.post("/orders/controls/", form)

    assert response.status_code in (200, 302)
    assert policy.policy_in_force(acme.pk).settings.retention_days == 365
    assert (
        "365 days after their last order closed" in client.get("/orders/controls/").content.decode()
    )
