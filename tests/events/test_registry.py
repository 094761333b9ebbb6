"""Typed events: exact round trips, refused values, unknown types, and upcasting old schemas."""

import dataclasses
import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from events import registry, store
from events.exceptions import UnknownEventType
from events.models import Event
from events.registry import DomainEvent, deserialize, register
from events.verification import verify_log
from orders.events import Line, OrderDetails, OrderPlaced, OrderShipped
from tests import factories
from tests.events.sample_events import SampleCounted, SamplePriced

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def priced(**overrides) -> SamplePriced:
    values = {
        "amount": Decimal("12345678901234567890.1230"),
        "reference": uuid.UUID("6f9619ff-8b86-d011-b42d-00c04fc964ff"),
        "priced_at": dt.datetime(2026, 7, 1, 14, 30, 0, 654321, tzinfo=BERLIN),
        "due_on": dt.date(2026, 12, 31),
        "note": "Grüße — 見積",
    }
    return SamplePriced(**(values | overrides))


def store_row(*, company, event_type, schema_version, payload, stream_id=None, version=1):
    """Insert one correctly chained row directly, as an older release of the app would have."""
    head = Event.objects.order_by("-position").first()
    now = timezone.now()
    row = Event(
        id=uuid.uuid4(),
        position=head.position + 1 if head else 1,
        number=store.head_number(company.pk) + 1,
        stream_type="order",
        stream_id=stream_id or uuid.uuid4(),
        version=version,
        event_type=event_type,
        schema_version=schema_version,
        payload=payload,
        metadata={
            "actor_id": None,
            "actor_username": "system",
            "correlation_id": "-",
            "causation_id": None,
        },
        company=company,
        occurred_at=now,
        recorded_at=now,
        prev_hash=head.hash if head else "0" * 64,
    )
    row.hash = store.hash_of(row)
    Event.objects.bulk_create([row])  # inserts are allowed; only UPDATE and DELETE are refused
    return row


SHIPPED_V1 = {
    "from_state": "in_fulfilment",
    "to_state": "shipped",
    "carrier": "DHL",
    "tracking": "TRK-OLD-1",
}


# --- exact round trips ----------------------------------------------------------------------


@pytest.mark.django_db
def test_decimal_uuid_aware_datetime_and_date_come_back_from_the_store_exactly(acme):
    sent = priced()
    stream = uuid.uuid4()

    store.append(stream, 0, [sent], company=acme)
    (back,) = store.read_stream(stream)

    assert back.data == sent
    assert isinstance(back.data.amount, Decimal)
    assert back.data.amount.as_tuple() == sent.amount.as_tuple()  # trailing zero kept: 4 places
    assert isinstance(back.data.reference, uuid.UUID)
    assert back.data.priced_at == sent.priced_at  # the same instant...
    assert back.data.priced_at.utcoffset() is not None  # ...still aware
    assert back.data.priced_at.microsecond == 654321
    assert back.data.due_on == dt.date(2026, 12, 31)
    assert back.data.note == "Grüße — 見積"


@pytest.mark.django_db
def test_an_optional_field_left_empty_comes_back_as_none(acme):
    stream = uuid.uuid4()

    store.append(stream, 0, [priced(note=None)], company=acme)

    assert store.read_stream(stream)[0].data.note is None


def test_nested_values_and_tuples_round_trip_through_the_payload():
    placed = OrderPlaced(
        number="ACME-000001",
        sequence=1,
        currency="EUR",
        details=OrderDetails(customer_name="Initech", notes="ring twice"),
        lines=(
            Line(sku="A", description="Bolt", quantity=3, unit_price=Decimal("0.10")),
            Line(sku="B", description="Nut", quantity=1, unit_price=Decimal("1E+3")),
        ),
    )

    back = deserialize("OrderPlaced", 1, placed.to_payload())

    assert back == placed
    assert isinstance(back.lines, tuple)
    assert isinstance(back.lines[0], Line)
    assert str(back.lines[0].unit_price) == "0.10"


def test_a_datetime_is_stored_as_utc_text():
    payload = priced().to_payload()

    assert payload["priced_at"] == "2026-07-01T12:30:00.654321+00:00"
    assert payload["amount"] == "12345678901234567890.1230"
    assert payload["reference"] == "6f9619ff-8b86-d011-b42d-00c04fc964ff"


# --- refused values -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_float_in_a_payload_is_refused_and_nothing_is_stored(acme):
    stream = uuid.uuid4()

    with pytest.raises(TypeError, match="Floats are not exact"):
        store.append(stream, 0, [priced(amount=19.99)], company=acme)

    assert not Event.objects.filter(stream_id=stream).exists()


def test_a_float_nested_in_a_line_is_refused():
    line = Line(sku="A", description="Bolt", quantity=1, unit_price=0.1)
    placed = OrderPlaced(
        number="X",
        sequence=1,
        currency="EUR",
        details=OrderDetails(customer_name="Initech"),
        lines=(line,),
    )

    with pytest.raises(TypeError, match="Floats are not exact"):
        placed.to_payload()


def test_a_naive_datetime_in_a_payload_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        priced(priced_at=dt.datetime(2026, 1, 1, 12)).to_payload()


# --- the registry ---------------------------------------------------------------------------


def test_an_unknown_event_type_is_an_error_that_names_it():
    with pytest.raises(UnknownEventType, match="'NoSuchThingHappened'"):
        deserialize("NoSuchThingHappened", 1, {})


@pytest.mark.django_db
def test_reading_a_stored_event_of_an_unknown_type_is_an_error(acme):
    row = store_row(company=acme, event_type="tests.Forgotten", schema_version=1, payload={})

    with pytest.raises(UnknownEventType, match=r"tests\.Forgotten"):
        store.read_stream(row.stream_id)


def test_a_second_class_under_a_registered_name_is_refused():
    with pytest.raises(ValueError, match="registered twice"):

        @register
        @dataclasses.dataclass(frozen=True, kw_only=True)
        class Impostor(DomainEvent):
            event_type = SampleCounted.event_type

    assert registry.event_class("tests.SampleCounted") is SampleCounted


def test_a_class_without_an_explicit_name_is_registered_under_its_class_name():
    assert registry.event_class("OrderShipped") is OrderShipped
    assert OrderShipped.event_type == "OrderShipped"


# --- upcasting ------------------------------------------------------------------------------


def test_a_version_1_order_shipped_payload_is_upcast_to_the_current_class():
    shipped = deserialize("OrderShipped", 1, dict(SHIPPED_V1))

    assert shipped == OrderShipped(
        from_state="in_fulfilment", to_state="shipped", carrier="DHL", tracking_number="TRK-OLD-1"
    )


def test_upcasting_does_not_change_the_payload_it_was_given():
    payload = dict(SHIPPED_V1)

    deserialize("OrderShipped", 1, payload)

    assert payload == SHIPPED_V1


def test_a_current_payload_is_not_upcast():
    current = {
        "from_state": "in_fulfilment",
        "to_state": "shipped",
        "carrier": "UPS",
        "tracking_number": "TRK-NEW",
    }

    assert deserialize("OrderShipped", 2, current).tracking_number == "TRK-NEW"


def test_a_schema_version_without_an_upcaster_is_an_error():
    with pytest.raises(UnknownEventType, match="No upcaster for OrderShipped from schema ver"):
        deserialize("OrderShipped", 0, dict(SHIPPED_V1))


@pytest.mark.django_db
def test_a_stored_version_1_order_shipped_is_read_back_as_the_current_class(acme):
    row = store_row(
        company=acme, event_type="OrderShipped", schema_version=1, payload=dict(SHIPPED_V1)
    )

    (event,) = store.read_stream(row.stream_id)

    assert isinstance(event.data, OrderShipped)
    assert event.data.tracking_number == "TRK-OLD-1"
    assert event.schema_version == 1  # the record says how it was stored...
    assert Event.objects.get(pk=row.pk).payload == SHIPPED_V1  # ...and the row is untouched
    assert verify_log().ok  # the chain covers the payload as stored, not as upcast


@pytest.mark.django_db
def test_the_store_writes_order_shipped_in_the_current_schema(acme):
    order = factories.order_in_state("shipped", acme)

    row = Event.objects.get(stream_id=order.id, event_type="OrderShipped")

    assert row.schema_version == 2
    assert row.payload["tracking_number"] == "TRK1"
    assert "tracking" not in row.payload
