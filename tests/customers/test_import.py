"""`import_orders` matches each order's customer (reference, else e-mail, else the case-folded
name) and each line's SKU (code, any case) or creates them, in the order's own transaction;
a dry run counts what it would create and writes nothing."""

import datetime as dt

import pytest

from customers import commands
from customers.models import Customer, Sku
from customers.validation import CustomerDetails
from events.models import Event
from orders.importing import rejects_path
from projections.models import OrderSummary
from tests.orders.test_import_orders import import_args, run, run_with_exit_code, small_files

from .factories import customer, sku

pytestmark = pytest.mark.django_db


def order(reference, name, *, customer_reference="", email=""):
    return {
        "reference": reference,
        "customer_name": name,
        "customer_reference": customer_reference,
        "customer_email": email,
        "shipping_address": "1 Dock Rd",
        "placed_at": "2025-01-02",
    }


def line(reference, code, price="2.50"):
    return {
        "reference": reference,
        "sku": code,
        "description": f"Part {code}",
        "quantity": "3",
        "unit_price": price,
    }


def test_the_import_matches_existing_customers_by_reference_then_email_then_name(
    acme, staff, manager, tmp_path
):
    by_reference = customer(staff, "Hooli", reference="H-1", email="x@hooli.example")
    by_email = customer(staff, "Initech", reference="", email="bill@initech.example")
    by_name = customer(staff, "Ärzte GmbH", reference="", email="")
    bolt = sku(manager, "BOLT-1", price="0.30")
    files = small_files(
        tmp_path,
        [
            order("O-1", "Hooli Hardware", customer_reference="h-1"),
            order("O-2", "Initech Corp", email="BILL@initech.example"),
            order("O-3", "ÄRZTE GMBH"),
            order("O-4", "Pied Piper", customer_reference="PP-1", email="r@pp.example"),
            order("O-5", "Pied Piper Inc", customer_reference="pp-1"),
        ],
        [
            line("O-1", "bolt-1"),
            line("O-2", "NUT-2", "0.10"),
            line("O-3", "NUT-2"),
            line("O-4", "A B"),  # no SKU can have this code: the line keeps it as text
            line("O-5", "BOLT-1"),
        ],
    )

    out = run(*import_args(files))

    assert "imported 5," in out and "New customers created: 1; new SKUs: 1." in out, out
    customer_of = dict(OrderSummary.objects.values_list("customer_reference", "customer_id"))
    summaries = {s.customer_name: s.customer_id for s in OrderSummary.objects.all()}
    assert summaries["Hooli Hardware"] == by_reference.pk
    assert summaries["Initech Corp"] == by_email.pk
    assert summaries["ÄRZTE GMBH"] == by_name.pk
    pied = Customer.objects.get(reference="PP-1")
    assert summaries["Pied Piper"] == summaries["Pied Piper Inc"] == pied.pk
    assert (pied.email, pied.shipping_address) == ("r@pp.example", "1 Dock Rd")
    assert customer_of["pp-1"] == pied.pk
    nut = Sku.objects.get(code="NUT-2")
    assert (nut.description, nut.unit_price_cents) == ("Part NUT-2", 10)
    assert Sku.objects.get(pk=bolt.pk).unit_price_cents == 30  # matched, not changed
    assert not Sku.objects.filter(code="A B").exists()
    imported = Event.objects.filter(stream_type="customer", metadata__has_key="imported_from")
    assert imported.count() == 1


def test_a_dry_run_counts_what_it_would_create_and_writes_nothing(acme, tmp_path):
    files = small_files(
        tmp_path,
        [order("O-1", "Hooli"), order("O-2", "hooli"), order("O-3", "Initech")],
        [line("O-1", "X-1"), line("O-2", "x-1"), line("O-3", "Y-1")],
    )
    before = Event.objects.count()

    out = run(*import_args(files, "--dry-run"))

    assert "would import 3," in out
    assert "New customers to create: 2; new SKUs: 2." in out, out
    assert Event.objects.count() == before
    assert not Customer.objects.exists() and not Sku.objects.exists()


def test_a_refused_order_creates_no_customer_or_sku(acme, tmp_path):
    files = small_files(
        tmp_path,
        [order("O-1", "Hooli")],
        [line("O-1", "X-1", "-5")],
    )
    out = run(*import_args(files))
    assert "rejected 1" in out
    assert not Customer.objects.exists() and not Sku.objects.exists()


def test_the_import_takes_the_oldest_of_the_customers_sharing_a_name(acme, staff, tmp_path):
    # What the module docstring promises, where the order form refuses an ambiguous name.
    older = commands.create_customer(
        actor=staff,
        details=CustomerDetails(name="Umbrella"),
        at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    commands.create_customer(
        actor=staff,
        details=CustomerDetails(name="UMBRELLA"),
        at=dt.datetime(2025, 1, 2, tzinfo=dt.UTC),
    )
    files = small_files(tmp_path, [order("O-1", "umbrella")])

    out = run(*import_args(files))

    assert "imported 1," in out and "New customers created: 0" in out, out
    assert OrderSummary.objects.get().customer_id == older.pk


def test_an_order_naming_a_deactivated_customer_is_rejected_with_the_reason(
    acme, staff, manager, tmp_path
):
    """The importer matches a deactivated customer too (no second customer of the same name),
    and placing an order for it is refused as on the order form: the row is a reject saying
    why (it used to end the whole import with a TypeError on the lazily translated reason)."""
    gone = commands.create_customer(actor=staff, details=CustomerDetails(name="Umbrella"))
    commands.deactivate_customer(gone.pk, actor=manager, expected_version=1)
    files = small_files(tmp_path, [order("O-1", "umbrella"), order("O-2", "Initech")])

    out, code = run_with_exit_code(*import_args(files))

    assert code == 2
    assert "imported 1," in out and "rejected 1;" in out, out
    rejects = rejects_path(files.orders).read_text()
    assert "O-1" in rejects and "This customer is deactivated" in rejects, rejects
    assert Customer.objects.filter(name_key="umbrella").count() == 1
