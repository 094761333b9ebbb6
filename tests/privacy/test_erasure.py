"""Erasure by crypto-shredding (invariant 7, issue #30): a person's data becomes unreadable
everywhere while the log, its chain and its witnessed checkpoints stay as they were."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from events import keystore, witness
from events.erasure import ErasureRecorded
from events.models import Event
from events.sealing import ERASED, UNREADABLE
from events.verification import verify_log
from orders import commands, erasure
from orders.events import OrderDetails
from orders.exceptions import ActionNotPermitted, OrderValidationError
from projections.engine import rebuild, verify
from projections.models import OrderSummary
from projections.registry import all_projections
from tests import factories
from tests.vendor import ON_POSTGRES, sqlite_only

NAME = "Zoltan Quagmire-Pemberton"
EMAIL = "zoltan.quagmire@example.org"
ADDRESS = "17 Rue des Nénuphars, 75011 Paris"


def place_for(actor, *, name=NAME, email=EMAIL, address=ADDRESS, notes="Ring twice"):
    details = OrderDetails(
        customer_name=name,
        customer_reference="PO-77",
        customer_email=email,
        shipping_address=address,
        notes=notes,
    )
    return commands.place_order(actor=actor, details=details, lines=factories.lines(1))


def file_bytes(path) -> bytes:
    path = Path(path)
    return path.read_bytes() if path.exists() else b""


def lose_the_key_store() -> None:
    """The key store is gone: its file deleted (SQLite), its schema dropped (PostgreSQL)."""
    if ON_POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {keystore.POSTGRES_SCHEMA} CASCADE")
    else:
        path = keystore.key_store_path()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    connection.close()  # the next connection finds it missing and starts an empty one


def summary_rows() -> list[dict]:
    return list(OrderSummary.objects.order_by("id").values())


@pytest.mark.django_db
def test_personal_fields_are_stored_sealed_and_read_back_opened(staff):
    order = place_for(staff)

    stored = Event.objects.get(stream_id=order.id)
    assert NAME not in json.dumps(stored.payload)
    assert EMAIL not in json.dumps(stored.payload)
    assert set(stored.payload["details"]["customer_name"]) == {"sealed"}
    assert stored.payload["details"]["customer_reference"] == "PO-77"  # not personal
    assert stored.opened_payload()["details"]["customer_name"] == NAME
    assert OrderSummary.objects.get(pk=order.id).customer_email == EMAIL


@pytest.mark.django_db
def test_erasing_by_email_makes_every_order_of_that_person_read_erased(acme, staff, manager):
    first = place_for(staff)
    second = place_for(staff, email=EMAIL.upper(), notes="")
    other = place_for(staff, name="Ada Other", email="ada@example.org")
    commands.add_note(first.id, actor=staff, expected_version=1, text="Prefers calls at 9")

    done = erasure.erase_customer(
        company_id=acme.pk, email=f"  {EMAIL} ", reason="GDPR request #12", actor=manager
    )

    assert sorted(done.orders) == sorted([first.id, second.id])
    assert done.keys_destroyed == 2
    for order in (first, second):
        row = OrderSummary.objects.get(pk=order.id)
        assert (row.customer_name, row.customer_email, row.shipping_address) == (ERASED,) * 3
        assert row.customer_reference == "PO-77"  # not personal: kept
        assert row.total_cents == OrderSummary.objects.get(pk=other.id).total_cents
    assert OrderSummary.objects.get(pk=second.id).notes == ""  # nothing was there
    assert OrderSummary.objects.get(pk=other.id).customer_name == "Ada Other"
    note = Event.objects.get(stream_id=first.id, event_type="NoteAdded")
    assert note.decoded().text == ERASED
    recorded = Event.objects.get(event_type="ErasureRecorded")
    assert recorded.metadata["actor_username"] == manager.username
    assert NAME not in json.dumps(recorded.payload) and EMAIL not in json.dumps(recorded.payload)
    assert recorded.payload["subjects"] == sorted([f"order:{first.id}", f"order:{second.id}"])


@sqlite_only("the database, WAL and key store files (PostgreSQL: the pg_dump test)")
@pytest.mark.django_db(transaction=True)
def test_after_an_erasure_no_byte_of_the_name_or_email_is_in_the_database_its_wal_or_keys(
    committed_db, acme, staff, manager
):
    order = place_for(staff)
    commands.transition(order.id, "submit", actor=staff, expected_version=1)
    before_keys = keystore.key_store_path()
    database = Path(connection.settings_dict["NAME"])
    assert NAME.encode() in file_bytes(database) + file_bytes(f"{database}-wal")

    erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="request", actor=manager)

    everything = b"".join(
        file_bytes(path)
        for path in (
            database,
            f"{database}-wal",
            before_keys,
            f"{before_keys}-wal",
        )
    )
    for secret in (NAME, EMAIL, ADDRESS, "Ring twice"):
        assert secret.encode() not in everything, secret
    assert verify_log().ok


@pytest.mark.django_db
def test_the_chain_verifies_against_a_checkpoint_file_exported_before_the_erasure(
    acme, staff, manager, tmp_path
):
    place_for(staff)
    place_for(staff, name="Ada Other", email="ada@example.org")
    head = Event.objects.order_by("-position").first()
    exported = tmp_path / "before.checkpoints"
    exported.write_bytes(witness.Checkpoint(head.position, head.hash).line())

    erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="request", actor=manager)

    result = verify_log(witnesses=[witness.load(exported)])
    assert result.ok, result.summary
    assert result.witnessed_position == head.position
    assert verify_log(witnesses=[witness.load_configured()]).ok


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_after_an_erasure_gives_identical_read_models(
    rebuildable_db, acme, staff, manager
):
    order = place_for(staff)
    commands.change_order(
        order.id,
        actor=staff,
        expected_version=1,
        details=OrderDetails(customer_name=NAME, customer_email=EMAIL, shipping_address="2 Elm"),
        lines=factories.lines(2),
    )
    place_for(staff, name="Ada Other", email="ada@example.org")
    erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="request", actor=manager)
    live = summary_rows()

    rebuild(all_projections())

    assert summary_rows() == live
    assert verify(all_projections()) == []
    assert {row["customer_name"] for row in live} == {ERASED, "Ada Other"}


@pytest.mark.django_db
def test_another_companys_customer_with_the_same_address_is_untouched(
    acme, globex, staff, manager, globex_staff
):
    place_for(staff)
    theirs = place_for(globex_staff)

    erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="request", actor=manager)

    assert OrderSummary.objects.get(pk=theirs.id).customer_name == NAME
    assert Event.objects.get(stream_id=theirs.id).decoded().details.customer_email == EMAIL


@pytest.mark.django_db
def test_an_erasure_needs_a_reason_and_the_permission(acme, staff, manager):
    place_for(staff)

    with pytest.raises(OrderValidationError):
        erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="  ", actor=manager)
    with pytest.raises(ActionNotPermitted):
        erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="why", actor=staff)
    with pytest.raises(OrderValidationError):
        erasure.erase_customer(company_id=acme.pk, email="nobody@x.org", reason="why")
    assert not Event.objects.filter(event_type="ErasureRecorded").exists()


@pytest.mark.django_db
def test_the_command_line_erases_by_company_and_email(acme, staff, capsys):
    order = place_for(staff)

    call_command("erase_customer", company="acme", email=EMAIL, reason="Art. 17 request")

    assert "1 order(s), 1 key(s) destroyed" in capsys.readouterr().out
    assert OrderSummary.objects.get(pk=order.id).customer_name == ERASED
    recorded = Event.objects.get(event_type="ErasureRecorded")
    assert recorded.metadata["actor_username"] == "system"
    assert recorded.decoded() == ErasureRecorded(
        kind="request",
        reason="Art. 17 request",
        subjects=(f"order:{order.id}",),
        streams=(str(order.id),),
        keys_destroyed=1,
    )


@pytest.mark.django_db
def test_orders_written_in_clear_before_sealing_are_named_as_not_reachable(acme, staff, manager):
    from orders.events import OrderPlaced

    OrderPlaced.personal = ()  # as the code was before sealing existed
    try:
        old = place_for(staff)
    finally:
        del OrderPlaced.personal  # back to the declaration it inherits
    assert Event.objects.get(stream_id=old.id).payload["details"]["customer_name"] == NAME

    done = erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="r", actor=manager)

    assert done.event.data.clear_streams == (str(old.id),)
    assert done.keys_destroyed == 0


@pytest.mark.django_db(transaction=True)
def test_when_the_key_store_is_lost_the_data_reads_unreadable_and_nothing_else_breaks(
    rebuildable_db, acme, staff, manager, client
):
    order = place_for(staff)
    commands.transition(order.id, "submit", actor=staff, expected_version=1)
    lose_the_key_store()

    event = Event.objects.get(stream_id=order.id, version=1)

    assert event.decoded().details.customer_name == UNREADABLE
    with pytest.raises(CommandError, match="1 stream"):
        call_command("check_keys", stdout=io.StringIO())
    assert keystore.secret_of("0" * 32) == keystore.MISSING
    assert verify_log().ok
    rebuild(all_projections())
    row = OrderSummary.objects.get(pk=order.id)
    assert (row.customer_name, row.state, row.total_cents) == (UNREADABLE, "submitted", 999)
    factories.log_in(client, manager)
    assert client.get(f"/orders/{order.id}/").status_code == 200
    assert client.get(f"/orders/{order.id}/history/").status_code == 200
    # New orders get new keys in the new (empty) store.
    again = place_for(staff, name="Fresh Start", email="fresh@example.org")
    assert OrderSummary.objects.get(pk=again.id).customer_name == "Fresh Start"


@pytest.mark.django_db
def test_the_api_shows_erased_fields_as_erased_and_keeps_the_rest(acme, staff, manager):
    from tests.api.helpers import ApiClient, api_key

    order = place_for(staff)
    commands.add_note(order.id, actor=staff, expected_version=1, text="Call Zoltan")
    erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="request", actor=manager)
    api = ApiClient(api_key(acme, "Manager"))

    body = api.get(f"/api/v1/orders/{order.id}").json()
    feed = api.get("/api/v1/events").json()
    history = api.get(f"/api/v1/orders/{order.id}/history").json()

    assert (body["customer_name"], body["customer_email"]) == (ERASED, ERASED)
    assert body["customer_reference"] == "PO-77" and body["state"] == "draft"
    text = json.dumps([feed, history])
    assert NAME not in text and "Zoltan" not in text and EMAIL not in text
    placed = next(e for e in feed["events"] if e["type"] == "OrderPlaced")
    assert placed["data"]["details"]["customer_name"] == ERASED
    assert placed["data"]["lines"][0]["sku"] == "SKU-0"
    assert any(e["type"] == "ErasureRecorded" for e in feed["events"])


@pytest.mark.django_db
def test_check_keys_tells_erased_data_from_lost_data(acme, staff, manager):
    place_for(staff)
    place_for(staff, name="Ada Other", email="ada@example.org")
    erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="request", actor=manager)
    out = io.StringIO()

    call_command("check_keys", stdout=out)  # erased on purpose: not "unreadable"

    assert "under 2 keys; 0 keys are missing" in out.getvalue()
