"""Witnessed checkpoints (issue #16): the log's head is written outside the database after every
commit, and `verify_events` checks the log against it.

The three attacks of the issue are played on a copy of the test database (a real SQLite file,
copied with the online backup API as `backup_db` does), by an attacker who opens the copy as a
database of their own: they drop the triggers and edit rows with SQL; in the second attack they
also hold EVENT_LOG_KEY. The third, a WAL deleted after a crash, is in `test_witness_crash.py`.
"""

import contextlib
import io
import json
import os
import shutil
import stat
import threading
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from accounts.models import Company, Role
from common.db_aliases import temporary_alias
from events import backup_sqlite, store, witness
from events.backup_sqlite import copy_online, database_alias
from events.exceptions import AppendOnlyError
from events.models import Event, IntegrityCheck
from orders import commands
from tests import factories
from tests.events.conftest import append_counted
from tests.events.test_verify_events import forged_row
from tests.vendor import sqlite_only

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_log", "aliases_allowed"),
]

# The attacks run on a copy of the SQLite database file (what someone with the file can do).
# The comparison with the witness is the same code on PostgreSQL (events/verification.py); only
# making the tampered copy needs a file.
ON_A_FILE_COPY = sqlite_only("the attack edits a copy of the SQLite database file")
ATTACKER = "attacker"  # the copy, opened writable by the attacker
_TRIGGERS = [
    "DROP TRIGGER IF EXISTS events_event_no_update",
    "DROP TRIGGER IF EXISTS events_event_no_delete",
    "DROP TRIGGER IF EXISTS events_integritycheck_no_update",
    "DROP TRIGGER IF EXISTS events_integritycheck_no_delete",
]


@pytest.fixture
def aliases_allowed(transactional_db, django_db_blocker, monkeypatch):
    """Let the copy's aliases connect: the test guard refuses undeclared aliases."""
    guarded = BaseDatabaseWrapper.ensure_connection

    def ensure_connection(self, *args, **kwargs):
        if self.alias in (backup_sqlite.CHECK_ALIAS, ATTACKER):
            with django_db_blocker.unblock():
                return BaseDatabaseWrapper.ensure_connection(self, *args, **kwargs)
        return guarded(self, *args, **kwargs)

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", ensure_connection)


@pytest.fixture
def live_log(acme, globex):
    """Ten committed events (each commit witnessed), then a passing `verify_events` run, which
    records its anchor in the database and witnesses the head: the state the issue starts from."""
    factories.order_in_state("delivered", acme)  # positions 1-6
    factories.order_in_state("on_hold", globex)  # positions 7-10
    verify()
    assert Event.objects.count() == 10


def verify(*args, database: str = "default") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_events", "--database", database, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def copy_of_live_database(tmp_path: Path) -> Path:
    copy = tmp_path / "copy.sqlite3"
    copy_online(Path(connection.settings_dict["NAME"]), copy)
    return copy


@contextlib.contextmanager
def opened_by_attacker(path: Path):
    """The copy as a writable database of the attacker's, append-only triggers dropped."""
    with temporary_alias(ATTACKER, NAME=str(path), OPTIONS={}):
        with connections[ATTACKER].cursor() as cursor:
            for sql in _TRIGGERS:
                cursor.execute(sql)
        yield connections[ATTACKER]


def sql(database, statement: str, params=()) -> None:
    with database.cursor() as cursor:
        cursor.execute(statement, params)


def verify_copy(path: Path, *args) -> tuple[str, str]:
    """`verify_events` on the copy, against the configured witness (and any files given)."""
    with database_alias(path) as alias:
        return verify("--no-record", *args, database=alias)


def assert_copy_broken_at(path: Path, position: int, reason: str, *args) -> str:
    with pytest.raises(CommandError) as failed:
        verify_copy(path, *args)
    message = str(failed.value)
    assert message.startswith(f"BROKEN at position {position}:"), message
    assert reason in message, message
    return message


def witnessed(folder: Path) -> dict[int, str]:
    return witness.load(folder / witness.CHECKPOINT_FILE).hashes


@pytest.fixture
def no_witness(settings, tmp_path):
    """How the attacks fared before: an empty witness (nothing was ever held outside)."""

    def switch() -> None:
        empty = tmp_path / "empty-witness"
        empty.mkdir()
        settings.WITNESS_DIR = str(empty)

    return switch


# --- writing checkpoints --------------------------------------------------------------------


def test_every_commit_is_witnessed_with_its_head_position_and_hash(acme, witness_dir):
    stream = uuid.uuid4()
    append_counted(stream, 0, 1, 2, company=acme)  # one commit, two events
    append_counted(stream, 2, 3, company=acme)

    hashes = dict(Event.objects.values_list("position", "hash"))
    assert witnessed(witness_dir) == {2: hashes[2], 3: hashes[3]}
    mode = stat.S_IMODE(os.stat(witness_dir / witness.CHECKPOINT_FILE).st_mode)
    assert mode & ~witness.FILE_MODE == 0  # 0640 at most (less under a stricter umask)


def test_a_rolled_back_append_is_not_witnessed(acme, witness_dir):
    with contextlib.suppress(RuntimeError), store.write_transaction():
        append_counted(uuid.uuid4(), 0, 1, company=acme)
        raise RuntimeError("roll back")

    assert witnessed(witness_dir) == {}


def test_a_passing_verification_witnesses_the_head_it_verified(live_log, witness_dir):
    lines = (witness_dir / witness.CHECKPOINT_FILE).read_text().splitlines()

    last = json.loads(lines[-1])
    assert (last["position"], last["by"]) == (10, "verify_events")
    assert last["hash"] == Event.objects.get(position=10).hash


# --- attack 1: tail truncation with database access and no key ------------------------------


@ON_A_FILE_COPY
@pytest.mark.parametrize("anchor", ["deleted", "moved to the new last event"])
def test_a_cut_tail_is_caught_against_the_witness_whatever_was_done_to_the_anchor(
    live_log, tmp_path, anchor, no_witness
):
    copy = copy_of_live_database(tmp_path)
    with opened_by_attacker(copy) as database:
        sql(database, "DELETE FROM events_event WHERE position > 7")
        if anchor == "deleted":
            sql(database, "DELETE FROM events_integritycheck")
        else:
            new_head = Event.objects.using(ATTACKER).get(position=7).hash
            sql(
                database,
                "UPDATE events_integritycheck SET head_position = 7, head_hash = %s",
                [new_head],
            )

    message = assert_copy_broken_at(copy, 8, "the log ends at position 7")
    assert "witnessed position 10" in message
    assert "3 acknowledged event(s) are missing" in message
    no_witness()  # without a witness the same copy verified: the attack of the issue
    assert verify_copy(copy)[0].startswith("OK: 7 events checked")


# --- attack 2: a rewritten chain, with database access and the key --------------------------


@ON_A_FILE_COPY
def test_an_old_event_edited_and_the_whole_chain_recomputed_with_the_key_is_caught(
    live_log, tmp_path, no_witness
):
    copy = copy_of_live_database(tmp_path)
    with opened_by_attacker(copy) as database:
        rows = list(Event.objects.using(ATTACKER).order_by("position"))
        assert rows[0].event_type == "OrderPlaced"
        rows[0].payload = {**rows[0].payload, "customer_name": "Forged Customer Ltd"}
        prev_hash = rows[0].prev_hash
        for row in rows:  # re-chain with the key, as the server would have
            row.prev_hash = prev_hash
            row.hash = prev_hash = store.hash_of(row)
            sql(
                database,
                "UPDATE events_event SET payload = %s, prev_hash = %s, hash = %s "
                "WHERE position = %s",
                [json.dumps(row.payload), row.prev_hash, row.hash, row.position],
            )
        sql(database, "DELETE FROM events_integritycheck")

    assert_copy_broken_at(copy, 1, "the chain was rewritten from the start")
    no_witness()
    assert verify_copy(copy)[0].startswith("OK: 10 events checked")


@ON_A_FILE_COPY
def test_a_forged_event_appended_with_a_valid_hmac_is_reported_as_unwitnessed(
    live_log, tmp_path, acme
):
    copy = copy_of_live_database(tmp_path)
    with opened_by_attacker(copy):
        head = Event.objects.using(ATTACKER).get(position=10).hash
        forged = forged_row(position=11, prev_hash=head, company=acme)
        Event.objects.using(ATTACKER).bulk_create([forged])

    output, warnings = verify_copy(copy)
    assert output.startswith("OK: 11 events checked")
    assert "1 event(s) after position 10 (up to 11) are not witnessed" in warnings
    assert_copy_broken_at(copy, 11, "are not witnessed outside the database", "--strict")


@ON_A_FILE_COPY
def test_a_rewritten_chain_is_caught_by_an_exported_file_when_the_witness_folder_is_lost_too(
    live_log, tmp_path, no_witness
):
    exported = tmp_path / "auditor" / "checkpoints.jsonl"
    exported.parent.mkdir()
    call_command("export_checkpoints", str(exported), stdout=io.StringIO())
    assert stat.S_IMODE(exported.stat().st_mode) == witness.EXPORT_MODE
    copy = copy_of_live_database(tmp_path)
    with opened_by_attacker(copy) as database:
        sql(database, "DELETE FROM events_event WHERE position > 4")
        sql(database, "DELETE FROM events_integritycheck")
    no_witness()  # the operator's witness folder is gone or emptied as well

    message = assert_copy_broken_at(copy, 5, "the log ends at position 4", "--witness", exported)
    assert str(exported) in message


# --- the anchor table is append-only --------------------------------------------------------


def test_the_anchor_table_refuses_changes_in_the_orm_and_in_sql(live_log):
    check = IntegrityCheck.objects.get()
    check.head_position = 1
    with pytest.raises(AppendOnlyError, match="integrity checks cannot be changed"):
        check.save()
    with pytest.raises(AppendOnlyError):
        IntegrityCheck.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        IntegrityCheck.objects.update(ok=False)
    for statement in (
        "UPDATE events_integritycheck SET head_position = 1",
        "DELETE FROM events_integritycheck",
    ):
        with pytest.raises(IntegrityError, match="events_integritycheck is append-only"):
            sql(connection, statement)

    assert IntegrityCheck.objects.get().head_position == 10


# --- backups --------------------------------------------------------------------------------


@ON_A_FILE_COPY
def test_a_verified_backup_restored_elsewhere_verifies_against_the_witness_copied_with_it(
    live_log, tmp_path, settings, acme, witness_dir
):
    live_witness = witness_dir
    backups = tmp_path / "backups"
    backups.mkdir()
    call_command("backup_db", str(backups / "db.sqlite3"), stdout=io.StringIO())
    append_counted(uuid.uuid4(), 0, 1, 2, company=acme)  # the live log moves on: 11, 12
    copied = backups / "db.sqlite3.witness.jsonl"
    assert max(witness.load(copied).hashes) == 10
    assert stat.S_IMODE(copied.stat().st_mode) == witness.EXPORT_MODE

    # Restored on another machine: the file, and the checkpoints as its witness folder.
    restored = tmp_path / "elsewhere"
    (restored / "db.witness").mkdir(parents=True)
    shutil.copy(backups / "db.sqlite3", restored / "db.sqlite3")
    shutil.copy(copied, restored / "db.witness" / witness.CHECKPOINT_FILE)
    settings.WITNESS_DIR = str(restored / "db.witness")

    output, warnings = verify_copy(restored / "db.sqlite3")
    assert output.startswith("OK: 10 events checked")
    assert "witnessed up to position 10" in output
    assert warnings == ""
    # Or with no witness folder there at all, against the file that came with the backup.
    settings.WITNESS_DIR = str(restored / "no-such-folder")
    output, warnings = verify_copy(restored / "db.sqlite3", "--witness", copied)
    assert output.startswith("OK: 10 events checked")
    assert "witnessed up to position 10" in output
    assert "checked against the files given" in warnings
    # Against the live witness the backup is what it is: the log as it was, two events ago.
    settings.WITNESS_DIR = str(live_witness)
    assert_copy_broken_at(restored / "db.sqlite3", 11, "witnessed position 12")


# --- a missing or unwritable witness --------------------------------------------------------


@pytest.mark.parametrize("how", ["removed", "unwritable"])
def test_writes_carry_on_without_the_witness_and_the_gap_is_logged_and_reported(
    acme, witness_dir, how, caplog
):
    order = factories.order_in_state("draft", acme)
    shutil.rmtree(witness_dir)
    if how == "unwritable":  # a directory where the file should be: unwritable even for root
        (witness_dir / witness.CHECKPOINT_FILE).mkdir(parents=True)

    for note in range(3):
        order = commands.add_note(
            order.id,
            actor=factories.user(Role.STAFF, acme),
            expected_version=order.version,
            text=f"note {note}",
        )

    assert order.version == 4  # every write went through
    failures = [r for r in caplog.records if r.name == "events.witness" and r.levelname == "ERROR"]
    assert len(failures) == 1  # once per streak, naming the first position not witnessed
    assert "from position 2 on are not witnessed" in failures[0].getMessage()
    assert witness.status()
    with pytest.raises(CommandError, match="witness"):
        verify()
    assert "witness" in IntegrityCheck.objects.latest().message


# --- the audit page -------------------------------------------------------------------------


def test_the_audit_page_says_when_and_against_which_witness_the_log_was_last_verified(
    live_log, client, witness_dir
):
    factories.log_in(client, factories.user(Role.MANAGER, Company.objects.get(slug="acme")))

    html = client.get("/audit/").content.decode()

    said = html[html.index('data-testid="witness"') : html.index('<form method="get"')]
    assert "compared with the checkpoints held outside the database" in said
    assert str(witness_dir / witness.CHECKPOINT_FILE) in said
    assert "not being witnessed" not in html


def test_the_audit_page_warns_while_new_events_are_not_being_witnessed(
    live_log, client, witness_dir
):
    factories.log_in(client, factories.user(Role.MANAGER, Company.objects.get(slug="acme")))
    shutil.rmtree(witness_dir)

    html = client.get("/audit/").content.decode()

    assert "New events are being saved, but they are not being witnessed" in html


# --- alerts ---------------------------------------------------------------------------------


@ON_A_FILE_COPY
def test_a_failed_verification_logs_an_error_and_mails_the_admins_when_asked(
    live_log, tmp_path, settings, caplog, mailoutbox
):
    settings.ADMINS = [("ops", "ops@example.com")]
    copy = copy_of_live_database(tmp_path)
    with opened_by_attacker(copy) as database:
        sql(database, "DELETE FROM events_event WHERE position > 9")

    with pytest.raises(CommandError):
        verify_copy(copy, "--mail-admins")

    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any(m.startswith("verify_events: BROKEN at position 10") for m in errors), errors
    assert [m.to for m in mailoutbox] == [["ops@example.com"]]
    assert "BROKEN at position 10" in mailoutbox[0].body


@ON_A_FILE_COPY
def test_no_mail_is_sent_without_admins_or_without_the_flag(live_log, tmp_path, mailoutbox):
    copy = copy_of_live_database(tmp_path)
    with opened_by_attacker(copy) as database:
        sql(database, "DELETE FROM events_event WHERE position > 9")

    with pytest.raises(CommandError):
        verify_copy(copy, "--mail-admins")  # ADMINS is empty
    assert mailoutbox == []


def test_a_hung_witness_does_not_hold_writes_and_catches_up_when_it_answers(
    acme, witness_dir, settings, monkeypatch, caplog
):
    settings.WITNESS_TIMEOUT_SECONDS = 0.01  # how long a commit may wait for its checkpoint
    answer = threading.Event()
    write = witness._writer._write

    def hung(path, line):  # a network mount that stopped answering
        answer.wait(timeout=120)
        return write(path, line)

    monkeypatch.setattr(witness._writer, "_write", hung)
    stream = uuid.uuid4()
    for number in range(3):
        append_counted(stream, number, number, company=acme)

    assert Event.objects.count() == 3  # every write went through, none waited for the witness
    assert witnessed(witness_dir) == {}
    failures = [r.getMessage() for r in caplog.records if r.name == "events.witness"]
    assert len(failures) == 1 and "no answer within 0.01s" in failures[0]
    answer.set()
    witness._writer.executor.submit(lambda: None).result(timeout=120)  # the queue is through
    assert set(witnessed(witness_dir)) == {1, 2, 3}


def test_with_no_timeout_the_committing_thread_writes_the_checkpoint_itself(
    acme, witness_dir, settings, monkeypatch
):
    settings.WITNESS_TIMEOUT_SECONDS = 0

    def no_thread(*args):
        raise AssertionError("the witness thread was used")

    monkeypatch.setattr(witness._writer, "submit", no_thread)
    append_counted(uuid.uuid4(), 0, 1, company=acme)

    assert set(witnessed(witness_dir)) == {1}


def test_checkpoint_counts_say_they_are_not_event_counts(acme, tmp_path):
    """export_checkpoints and backup_db count checkpoints (one per commit, verification and
    backup), verify_events counts events: each says which, so an auditor does not compare them."""
    from io import StringIO

    from django.core.management import call_command

    from tests.events.conftest import append_counted

    append_counted(uuid.uuid4(), 0, 1, 2, company=acme)
    verified, exported = StringIO(), StringIO()
    call_command("verify_events", stdout=verified)
    call_command("export_checkpoints", str(tmp_path / "cp.jsonl"), stdout=exported)

    assert "OK: 2 events checked" in verified.getvalue()
    assert "the number of checkpoints is not the number of events" in exported.getvalue()


# --- the daily check launders nothing (issue #24 §15) ---------------------------------------


def test_a_non_strict_run_does_not_witness_a_forged_head(live_log, witness_dir, acme):
    head = Event.objects.get(position=10).hash
    Event.objects.bulk_create([forged_row(position=11, prev_hash=head, company=acme)])

    _, warnings = verify()  # as the shipped timer runs it: a warning, not a failure
    assert "1 event(s) after position 10 (up to 11) are not witnessed" in warnings
    verify()

    assert 11 not in witnessed(witness_dir)
    assert max(witnessed(witness_dir)) == 10
    with pytest.raises(CommandError, match="are not witnessed outside the database"):
        verify("--strict")


def test_a_fully_witnessed_log_is_still_witnessed_at_its_head(live_log, witness_dir):
    lines = witness.load(witness_dir / witness.CHECKPOINT_FILE)
    verify("--strict")

    assert max(witnessed(witness_dir)) == 10
    assert IntegrityCheck.objects.order_by("-checked_at").first().ok
    assert len(witness.load(witness_dir / witness.CHECKPOINT_FILE).hashes) >= len(lines.hashes)
