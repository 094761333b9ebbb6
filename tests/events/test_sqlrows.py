"""events.sqlrows writes and reads exactly what the ORM writes and reads."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from accounts.models import Company
from dashboard.projectors import quarter_number
from events import sqlrows
from events.sqlrows import table
from projections.models import DashboardActivity, OrderSummary

pytestmark = pytest.mark.django_db


def _summary_values(company, **overrides):
    moment = dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Amsterdam"))
    values = {
        "id": uuid.uuid4(),
        "company_id": company.id,
        "number": "ACME-000001",
        "sequence": 1,
        "state": "draft",
        "version": 3,
        "customer_name": "Ünïcode “quoted” Co",
        "customer_reference": "",
        "customer_email": "a@b.example",
        "shipping_address": "1\n2",
        "notes": "",
        "lines": [{"sku": "A", "quantity": 2, "unit_price": "9.99"}],
        "line_count": 1,
        "total_cents": 1998,
        "currency": "EUR",
        "placed_at": moment,
        "placed_by": "acme.staff",
        "last_changed_at": moment.replace(microsecond=0),
        "last_actor": "acme.staff",
        "state_since": moment,
        "submitted_at": None,
        "delivered_at": None,
        "held_from": "",
        "carrier": "",
        "tracking_number": "",
        "note_count": 0,
        "rejection_reason": "",
        "search_text": "acme-000001\ninitech\na",
        "customer_id": uuid.UUID("0b7e4c1e-9a55-4c36-9b7e-28c0a1f1c0de"),
        "authors": ["acme.staff", "Ünïcode"],
        "approvals": [{"by": "acme.manager", "at": "2026-03-29T00:30:15.123456+00:00"}],
    }
    return {**values, **overrides}


def _raw(model, pk) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{model._meta.db_table}" WHERE id = %s', [pk.hex])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def test_a_row_written_by_sqlrows_is_stored_byte_for_byte_as_the_orm_stores_it():
    company = Company.objects.create(name="Acme", slug="acme")
    # Another company's: an order's number and sequence are unique in its company.
    other = Company.objects.create(name="Other", slug="other")
    by_orm = _summary_values(company)
    by_table = {**_summary_values(other), "id": uuid.uuid4()}
    OrderSummary.objects.create(**by_orm)
    table(OrderSummary).upsert([by_table])

    orm_row, table_row = _raw(OrderSummary, by_orm["id"]), _raw(OrderSummary, by_table["id"])

    keys = ("id", "company_id")
    assert {k: v for k, v in orm_row.items() if k not in keys} == {
        k: v for k, v in table_row.items() if k not in keys
    }


def test_rows_read_by_sqlrows_equal_what_the_orm_reads():
    company = Company.objects.create(name="Acme", slug="acme")
    values = _summary_values(company)
    OrderSummary.objects.create(**values)
    slot = dt.datetime(2026, 2, 28, 23, 45, tzinfo=dt.UTC)
    DashboardActivity.objects.create(
        company=company, slot=slot, quarter=quarter_number(slot), placed=3
    )
    names = table(OrderSummary).attnames

    assert table(OrderSummary).select_in(id=[values["id"]]) == list(
        OrderSummary.objects.values(*names)
    )
    assert table(DashboardActivity).select_in(company_id=[company.id]) == list(
        DashboardActivity.objects.values(*table(DashboardActivity).attnames)
    )


def test_an_upsert_replaces_the_row_with_the_same_id():
    company = Company.objects.create(name="Acme", slug="acme")
    values = _summary_values(company)
    table(OrderSummary).upsert([values])
    table(OrderSummary).upsert([{**values, "state": "submitted", "version": 4}])

    row = OrderSummary.objects.get()
    assert (row.state, row.version) == ("submitted", 4)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2026-03-04 10:11:12", dt.datetime(2026, 3, 4, 10, 11, 12, tzinfo=dt.UTC)),
        ("2026-03-04 10:11:12.000500", dt.datetime(2026, 3, 4, 10, 11, 12, 500, tzinfo=dt.UTC)),
        # Not what Django writes, but read right if a row ever carries an offset.
        ("2026-03-04 12:11:12+02:00", dt.datetime(2026, 3, 4, 10, 11, 12, tzinfo=dt.UTC)),
    ],
)
def test_stored_datetime_text_reads_back_as_the_same_aware_instant(stored, expected):
    value = sqlrows.aware_from_text(stored)

    assert value == expected
    assert value.utcoffset() is not None
