"""Tamper evidence: `manage.py verify_events` passes an intact log and names the first broken
position after each kind of tampering done behind the app's back (triggers dropped, raw SQL)."""

import io
import itertools
import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from events import store
from events.models import Event, IntegrityCheck
from tests import factories
from tests.vendor import drop_append_only_triggers, json_set, sqlite_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded_log(acme, globex):
    """Ten events: an Acme order placed and taken to delivered (positions 1-6: placed,
    submitted, approved, fulfilment started, shipped, delivered), then a Globex order placed
    and put on hold (positions 7-10)."""
    factories.order_in_state("delivered", acme)
    factories.order_in_state("on_hold", globex)
    assert Event.objects.count() == 10


def verify(*args) -> str:
    out = io.StringIO()
    call_command("verify_events", *args, stdout=out)
    return out.getvalue()


def assert_broken_at(position: int, reason: str, *args) -> None:
    with pytest.raises(CommandError) as failed:
        verify(*args)
    message = str(failed.value)
    assert message.startswith(f"BROKEN at position {position}:"), message
    assert reason in message, message


@pytest.mark.parametrize("batch_size", ["0", "-1"])
def test_a_batch_size_below_one_is_refused_not_reported_as_events_removed(seeded_log, batch_size):
    """Read in batches of none, the log looked empty: 'BROKEN ... events were removed from its
    end' was reported and recorded for a log that is whole."""
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        verify("--batch-size", batch_size)
    assert not IntegrityCheck.objects.exclude(ok=True).exists()
    assert verify().startswith("OK")


def execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def set_hash(position: int, row: Event) -> None:
    """Recompute a row's own hash over its (tampered) content, as a careful forger would."""
    execute("UPDATE events_event SET hash = %s WHERE position = %s", [store.hash_of(row), position])


def move(position: int, to: int) -> None:
    execute("UPDATE events_event SET position = %s WHERE position = %s", [to, position])


def edit_and_rechain() -> None:
    """Forge event 5's payload, then recompute every later hash with the current key, as someone
    with write access to the database file would to hide the edit."""
    rows = list(Event.objects.order_by("position"))
    rows[4].payload = {**rows[4].payload, "tracking_number": "FORGED"}
    execute(
        "UPDATE events_event SET payload = %s WHERE position = 5", [json.dumps(rows[4].payload)]
    )
    for previous, row in itertools.pairwise(rows[3:]):
        row.prev_hash = previous.hash
        row.hash = store.hash_of(row)
        execute(
            "UPDATE events_event SET prev_hash = %s, hash = %s WHERE position = %s",
            [row.prev_hash, row.hash, row.position],
        )


def forged_row(*, position: int, prev_hash: str, company, number: int | None = None) -> Event:
    """A plausible event with a correct hash over its own content (by default the company's
    next number: the number is not hashed, verification checks it runs 1, 2, 3…)."""
    now = timezone.now()
    row = Event(
        id=uuid.uuid4(),
        position=position,
        number=number if number is not None else store.head_number(company.pk) + 1,
        stream_type="order",
        stream_id=uuid.uuid4(),
        version=1,
        event_type="NoteAdded",
        schema_version=1,
        payload={"text": "approved by CEO"},
        metadata={
            "actor_id": None,
            "actor_username": "acme.manager",
            "correlation_id": "-",
            "causation_id": None,
        },
        company=company,
        occurred_at=now,
        recorded_at=now,
        prev_hash=prev_hash,
    )
    row.hash = store.hash_of(row)
    return row


# --- an intact log --------------------------------------------------------------------------


def test_an_intact_log_verifies_and_the_summary_says_how_many_events_were_checked(seeded_log):
    output = verify()

    assert output.startswith("OK: 10 events checked")
    assert "head position 10" in output


def test_each_run_is_recorded_for_the_audit_page(seeded_log):
    verify()

    check = IntegrityCheck.objects.get()
    assert check.ok
    assert (check.events_checked, check.head_position) == (10, 10)
    assert check.head_hash == Event.objects.get(position=10).hash


def test_a_run_with_no_record_leaves_no_trace(seeded_log):
    verify("--no-record")

    assert not IntegrityCheck.objects.exists()


def test_an_empty_log_verifies(db):
    assert verify().startswith("OK: 0 events checked")


def test_an_intact_log_verifies_whatever_the_batch_size(seeded_log):
    assert verify("--batch-size", "3").startswith("OK: 10 events checked")


# --- tampering ------------------------------------------------------------------------------


def test_triggers_dropped_in_a_rolled_back_transaction_are_back_afterwards(seeded_log):
    """The tampering tests rely on this: DDL is transactional (SQLite, PostgreSQL), so each
    test's rollback restores the triggers it dropped."""
    with pytest.raises(RuntimeError), transaction.atomic():
        drop_append_only_triggers()
        raise RuntimeError("roll back")

    with pytest.raises(IntegrityError), transaction.atomic():
        execute("DELETE FROM events_event")
    assert Event.objects.count() == 10


def test_an_edited_payload_breaks_the_log_at_that_event(seeded_log, tamperer):
    execute(
        f"UPDATE events_event SET payload = {json_set('payload', 'tracking_number', 'FORGED')} "
        "WHERE position = 5"
    )

    assert_broken_at(5, "content does not match its hash")
    assert not IntegrityCheck.objects.get().ok


def test_edited_metadata_breaks_the_log_at_that_event(seeded_log, tamperer):
    # Make the approval look as if the staff member who submitted had approved it.
    forged = json_set("metadata", "actor_username", "acme.staff")
    execute(f"UPDATE events_event SET metadata = {forged} WHERE position = 3")

    assert_broken_at(3, "content does not match its hash")


def test_a_deleted_event_breaks_the_log_at_the_next_position(seeded_log, tamperer):
    execute("DELETE FROM events_event WHERE position = 4")

    assert_broken_at(5, "expected position 4 but found 5: 1 event(s) missing")


def test_a_deleted_event_is_found_across_batch_boundaries(seeded_log, tamperer):
    execute("DELETE FROM events_event WHERE position = 7")

    assert_broken_at(8, "event(s) missing", "--batch-size", "2")


def test_two_swapped_events_break_the_log_at_the_first_of_them(seeded_log, tamperer):
    move(3, -3)
    move(4, 3)
    move(-3, 4)

    assert_broken_at(3, "prev_hash does not match")


def test_a_forged_event_slipped_into_the_middle_breaks_the_log_after_it(seeded_log, tamperer, acme):
    # Make room at position 6 and company number 6 (through negative values: both are
    # unique), then insert a forged row that links correctly to position 5 and carries a
    # correct hash of its own.
    execute(
        "UPDATE events_event SET position = -position - 1, number = -number - 1 WHERE position >= 6"
    )
    execute("UPDATE events_event SET position = -position, number = -number WHERE position < 0")
    prev_hash = Event.objects.get(position=5).hash
    forged = forged_row(position=6, prev_hash=prev_hash, company=acme, number=6)
    Event.objects.bulk_create([forged])

    # The forgery itself checks out; the event after it was chained to the original 6th.
    assert_broken_at(7, "prev_hash does not match")


def test_a_forged_event_at_the_head_chained_to_an_older_event_breaks_the_log(
    seeded_log, tamperer, acme
):
    branch_from = Event.objects.get(position=8).hash
    Event.objects.bulk_create([forged_row(position=11, prev_hash=branch_from, company=acme)])

    assert_broken_at(11, "prev_hash does not match")


def test_an_edited_event_with_its_hash_recomputed_breaks_the_log_at_the_next_event(
    seeded_log, tamperer
):
    row = Event.objects.get(position=5)
    row.payload = {**row.payload, "tracking_number": "FORGED"}
    execute("UPDATE events_event SET payload = %s WHERE position = 5", [json.dumps(row.payload)])
    set_hash(5, row)

    assert_broken_at(6, "prev_hash does not match the previous event's hash")


def test_a_version_gap_in_a_stream_breaks_the_log_even_with_a_recomputed_hash(seeded_log, tamperer):
    row = Event.objects.get(position=10)
    row.version += 1
    execute("UPDATE events_event SET version = version + 1 WHERE position = 10")
    set_hash(10, row)

    assert_broken_at(10, f"stream {row.stream_id} jumps from version 3 to 5")


def test_an_edit_with_the_rest_of_the_chain_recomputed_is_caught_against_the_last_run(
    seeded_log, tamperer
):
    verify()  # the last good run recorded head position 10 and its hash
    edit_and_rechain()

    # The chain is consistent again, but its head no longer matches the last good run's.
    assert_broken_at(10, "the chain was recomputed after an edit")


def test_events_removed_from_the_end_are_caught_against_the_last_run(seeded_log, tamperer):
    verify()  # the last good run recorded head position 10
    execute("DELETE FROM events_event WHERE position > 8")

    assert_broken_at(9, "events were removed from its end")


def test_without_the_log_key_a_recomputed_chain_does_not_verify(seeded_log, tamperer, settings):
    """Someone with the database file but not EVENT_LOG_KEY re-chains an edit with plain SHA-256:
    the first edited event no longer matches its keyed hash, with no earlier run to compare."""
    settings.EVENT_LOG_KEY = ""  # the attacker's view
    edit_and_rechain()
    settings.EVENT_LOG_KEY = "test-event-log-key"  # the server's

    assert_broken_at(5, "was altered")


# --- the stored text is what is hashed (issue #24 §14) --------------------------------------


@sqlite_only("PostgreSQL's jsonb keeps no duplicate key and no spelling: it stores parsed JSON")
def test_a_duplicate_key_in_stored_metadata_breaks_the_log(seeded_log, tamperer):
    # SQLite's JSON functions read the first actor_username, Python the last: the audit filter
    # would find another user while the hash (over the parsed JSON) still matches.
    stored = (
        connection.cursor()
        .execute("SELECT metadata FROM events_event WHERE position = 3")
        .fetchone()[0]
    )
    forged = '{"actor_username": "acme.staff", ' + stored[1:]
    assert json.loads(forged) == json.loads(stored)
    execute("UPDATE events_event SET metadata = %s WHERE position = 3", [forged])

    assert_broken_at(3, "is not the text its hash covers")


@sqlite_only("jsonb stores parsed JSON")
def test_re_spelt_payload_text_breaks_the_log(seeded_log, tamperer):
    stored = (
        connection.cursor()
        .execute("SELECT payload FROM events_event WHERE position = 5")
        .fetchone()[0]
    )
    execute("UPDATE events_event SET payload = %s WHERE position = 5", [" " + stored])

    assert_broken_at(5, "is not the text its hash covers")
