"""Customers and SKUs are event streams: commands append one event each, inside the writer
transaction, with the permission checked there; the read models are rebuilt identically."""

import dataclasses
from decimal import Decimal

import pytest

from customers import commands
from customers.events import CustomerCreated
from customers.exceptions import (
    ConcurrencyError,
    CustomerNotFound,
    RecordAlreadyCreated,
    RecordNotPermitted,
    RecordValidationError,
    SkuNotFound,
)
from customers.validation import SkuDetails
from events import store
from events.models import Event

from .factories import customer, customer_details, sku


def events_of(stream_id):
    return list(Event.objects.filter(stream_id=stream_id).order_by("version"))


def test_staff_creates_a_customer_as_one_event_on_its_own_stream(staff, acme):
    made = customer(staff, "Hooli", email="Gavin@Hooli.example")
    (event,) = events_of(made.pk)
    assert (event.stream_type, event.event_type, event.version) == (
        "customer",
        "CustomerCreated",
        1,
    )
    assert event.company_id == acme.pk
    assert event.payload["customer_id"] == str(made.pk)
    assert made.name == "Hooli" and made.active and made.version == 1
    assert made.email_key == "gavin@hooli.example"


def test_customer_events_declare_their_personal_fields_and_subject(staff):
    made = customer(staff)
    (recorded,) = store.read_stream(made.pk)
    data = recorded.data
    assert set(data.personal) == {"name", "email", "billing_address", "shipping_address", "notes"}
    assert data.data_subject() == f"customer:{made.pk}"
    for name in data.personal:  # plain text fields, sealable one by one
        assert isinstance(getattr(data, name), str)
    assert "Initech" not in str(recorded.metadata)


def test_change_replaces_the_details_and_a_change_of_nothing_writes_nothing(staff):
    made = customer(staff)
    details = dataclasses.replace(customer_details("Initech Ltd"), reference=made.reference)
    changed = commands.change_customer(made.pk, actor=staff, expected_version=1, details=details)
    assert changed.name == "Initech Ltd" and changed.version == 2
    again = commands.change_customer(made.pk, actor=staff, expected_version=2, details=details)
    assert again.version == 2
    assert [e.event_type for e in events_of(made.pk)] == ["CustomerCreated", "CustomerChanged"]


def test_a_stale_version_is_a_conflict_and_writes_nothing(staff):
    made = customer(staff)
    with pytest.raises(ConcurrencyError):
        commands.change_customer(
            made.pk, actor=staff, expected_version=0, details=customer_details("Other")
        )
    assert len(events_of(made.pk)) == 1


def test_bad_input_gets_field_errors_and_writes_nothing(staff):
    before = Event.objects.count()
    with pytest.raises(RecordValidationError) as caught:
        commands.create_customer(
            actor=staff, details=customer_details("  ", email="not-an-address", notes="\x00")
        )
    assert set(caught.value.errors) == {"name", "email", "notes"}
    assert Event.objects.count() == before


def test_a_reference_is_unique_per_company_in_any_case(staff, globex_staff):
    customer(staff, reference="C-7")
    with pytest.raises(RecordValidationError) as caught:
        customer(staff, "Other", reference="c-7")
    assert "reference" in caught.value.errors
    customer(globex_staff, reference="C-7")  # another company's numbers are its own


def test_a_repeated_create_form_finds_the_first_customer(staff):
    first = commands.create_customer(actor=staff, details=customer_details(), token="abc")
    with pytest.raises(RecordAlreadyCreated) as caught:
        commands.create_customer(actor=staff, details=customer_details(), token="abc")
    assert caught.value.record == first


def test_staff_may_not_deactivate_a_customer_but_a_manager_may(staff, manager):
    made = customer(staff)
    with pytest.raises(RecordNotPermitted):
        commands.deactivate_customer(made.pk, actor=staff, expected_version=1)
    done = commands.deactivate_customer(made.pk, actor=manager, expected_version=1)
    assert not done.active and done.version == 2
    back = commands.reactivate_customer(made.pk, actor=manager, expected_version=2)
    assert back.active and back.version == 3


def test_another_company_s_customer_is_not_found(staff, globex_manager):
    made = customer(staff)
    with pytest.raises(CustomerNotFound):
        commands.deactivate_customer(made.pk, actor=globex_manager, expected_version=1)
    with pytest.raises(CustomerNotFound):
        commands.deactivate_customer("not-a-uuid", actor=globex_manager, expected_version=1)


def test_a_permission_revoked_before_the_command_is_seen_inside_it(staff):
    staff.has_perm("customers.add_customer")  # fills the request's permission cache
    staff.groups.clear()
    with pytest.raises(RecordNotPermitted):
        customer(staff)


def test_staff_may_not_edit_the_price_list_a_manager_may(staff, manager):
    with pytest.raises(RecordNotPermitted):
        sku(staff, "BOLT-1")
    made = sku(manager, "BOLT-1", price="0.25")
    assert made.unit_price == Decimal("0.25") and made.unit_price_cents == 25
    (recorded,) = store.read_stream(made.pk)
    assert recorded.stream_type == "sku"
    assert recorded.data.personal == () and recorded.data.data_subject() == ""


def test_a_sku_code_is_unique_per_company_in_any_case(manager, globex_manager):
    made = sku(manager, "Bolt-1")
    with pytest.raises(RecordValidationError) as caught:
        sku(manager, "BOLT-1")
    assert "already used" in caught.value.errors["code"][0]
    commands.deactivate_sku(made.pk, actor=manager, expected_version=1)
    with pytest.raises(RecordValidationError) as caught:
        sku(manager, "bolt-1")
    assert "reactivate" in caught.value.errors["code"][0]
    sku(globex_manager, "BOLT-1")


def test_sku_bad_input_writes_nothing(manager):
    before = Event.objects.count()
    with pytest.raises(RecordValidationError) as caught:
        commands.create_sku(
            actor=manager, details=SkuDetails(code="A B", unit_price=Decimal("1.234"))
        )
    assert set(caught.value.errors) == {"code", "unit_price"}
    with pytest.raises(RecordValidationError):
        commands.create_sku(actor=manager, details=SkuDetails(code="X", unit_price=Decimal("-0")))
    assert Event.objects.count() == before


def test_a_sku_change_keeps_its_stream_and_may_rename_the_code(manager):
    made = sku(manager, "OLD-1", price="2.00")
    changed = commands.change_sku(
        made.pk,
        actor=manager,
        expected_version=1,
        details=SkuDetails(code="NEW-1", description="Renamed", unit_price=None),
    )
    assert (changed.code, changed.code_key, changed.unit_price) == ("NEW-1", "new-1", None)


def test_another_company_s_sku_is_not_found(manager, globex_manager):
    made = sku(manager)
    with pytest.raises(SkuNotFound):
        commands.change_sku(
            made.pk, actor=globex_manager, expected_version=1, details=SkuDetails(code="X-1")
        )


def test_a_created_payload_without_the_optional_fields_decodes_with_blanks():
    event = CustomerCreated.from_payload({"customer_id": "x", "name": "N"})
    assert (event.email, event.notes) == ("", "")
