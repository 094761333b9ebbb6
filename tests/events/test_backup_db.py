"""`backup_db`: an online copy of the real SQLite file, checked (integrity + hash chain).

Every write is committed for real (`transaction=True`): the backup reads the database file through
its own connection, exactly as it does next to a running server.
"""

import importlib
import io
import sqlite3
import subprocess
import threading
import time
import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from accounts.demo import seed_companies_and_users
from events import backup_postgres, backup_sqlite
from events.backup_sqlite import check_copy
from events.verification import verify_log
from orders.demo import seed_orders
from tests.events.conftest import append_counted
from tests.vendor import drop_append_only_triggers, postgres_only, sqlite_only

_ROLE_GRANTS = importlib.import_module("orders.migrations.0002_role_permissions").GRANTS
_TRIGGERS = importlib.import_module("events.migrations.0002_append_only_triggers")

sqlite_file = sqlite_only("backup_db copies the SQLite database file (PostgreSQL: pg_dump)")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_log", "check_alias_allowed"),
]


@pytest.fixture
def check_alias_allowed(transactional_db, django_db_blocker, monkeypatch):
    """Let the copy's temporary alias connect: the test guard refuses undeclared aliases."""
    guarded = BaseDatabaseWrapper.ensure_connection

    def ensure_connection(self, *args, **kwargs):
        if self.alias == backup_sqlite.CHECK_ALIAS:
            with django_db_blocker.unblock():
                return BaseDatabaseWrapper.ensure_connection(self, *args, **kwargs)
        return guarded(self, *args, **kwargs)

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", ensure_connection)


@pytest.fixture
def seeded(transactional_db):
    """The demo companies, users and 12 orders per company, committed (as `seed_demo` does).

    A transactional test's flush also removes the role groups a data migration made: put them
    back first, with their permissions.
    """
    for name, codenames in _ROLE_GRANTS.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            group.permissions.set(
                Permission.objects.filter(
                    content_type__app_label__in=("orders", "audit"), codename__in=codenames
                )
            )
    now = timezone.now()
    return sum(seed_orders(company, 12, now=now) for company in seed_companies_and_users())


def backup(path, *args) -> str:
    out = io.StringIO()
    call_command("backup_db", str(path), *args, stdout=out)
    return out.getvalue()


def log_rows(database) -> list[tuple]:
    """(position, id, stream, version, hash) of every event in a database file, read raw."""
    with sqlite3.connect(database) as raw:
        return raw.execute(
            "SELECT position, id, stream_id, version, hash FROM events_event ORDER BY position"
        ).fetchall()


def live_database() -> str:
    return connection.settings_dict["NAME"]


@sqlite_file
def test_a_backup_of_a_seeded_database_has_the_same_events_and_passes_its_checks(seeded, tmp_path):
    target = tmp_path / "ledgerline.sqlite3"

    output = backup(target)

    assert log_rows(target) == log_rows(live_database())
    assert len(log_rows(target)) == seeded > 0
    assert "integrity_check: ok" in output
    assert f"{seeded:,} events" in output
    check = check_copy(target)
    assert check.ok, check.problem
    assert check.verification.events_checked == seeded
    # One self-contained file: no WAL mode, no -wal/-shm, no temporary file left behind.
    with sqlite3.connect(target) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        orders = raw.execute("SELECT count(*) FROM projections_ordersummary").fetchone()[0]
    assert orders == 24
    # Beside it, the witnessed checkpoints up to its head (events/witness.py).
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        target.name,
        f"{target.name}.witness.jsonl",
    ]


@sqlite_file
def test_a_backup_copied_in_small_steps_is_the_same(seeded, tmp_path):
    target = tmp_path / "stepped.sqlite3"

    backup(target, "--pages", "2")

    assert log_rows(target) == log_rows(live_database())


@sqlite_file
def test_a_backup_taken_while_another_thread_appends_is_a_consistent_prefix_of_the_log(
    committed_company, tmp_path
):
    company, user = committed_company
    stream = uuid.uuid4()
    appended = 0
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_appending() -> None:
        nonlocal appended
        deadline = time.monotonic() + 30
        try:
            while not stop.is_set() and appended < 5000 and time.monotonic() < deadline:
                append_counted(stream, appended, appended, company=company, actor=user)
                appended += 1
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            connection.close()

    writer = threading.Thread(target=keep_appending)
    writer.start()
    try:
        _wait_until(lambda: appended >= 50)
        targets = [tmp_path / f"during-{n}.sqlite3" for n in range(3)]
        counts_before = []
        for target in targets:
            counts_before.append(appended)
            backup(target)
        during_last = appended
        _wait_until(lambda: appended >= during_last + 20)  # the writer was never blocked
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not writer.is_alive()
    assert errors == []

    live = log_rows(live_database())
    assert len(live) == appended
    for target, before in zip(targets, counts_before, strict=True):
        check = check_copy(target)
        assert check.ok, check.problem
        copied = log_rows(target)
        # A snapshot: every event committed before the backup started, then nothing half-done.
        assert before <= len(copied) <= appended
        assert copied == live[: len(copied)]


def _wait_until(condition, seconds: float = 20) -> None:
    """Poll a condition another thread makes true (bounded; the writer needs a moment)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the writer thread made no progress"
        time.sleep(0.01)


@sqlite_file
@pytest.mark.parametrize(
    ("tamper", "broken_at", "problem"),
    [
        (
            "UPDATE events_event SET payload = json_set(payload, '$.n', 999) WHERE position = 3",
            3,
            "content does not match its hash",
        ),
        ("DELETE FROM events_event WHERE position = 3", 4, "1 event(s) missing"),
    ],
)
def test_the_check_finds_a_tampered_chain_in_a_copy(
    committed_company, tmp_path, tamper, broken_at, problem
):
    company, user = committed_company
    append_counted(uuid.uuid4(), 0, *range(6), company=company, actor=user)
    target = tmp_path / "copy.sqlite3"
    backup(target)
    with sqlite3.connect(target) as raw:
        for statement in _TRIGGERS.SQLITE_DOWN:
            raw.execute(statement)
        raw.execute(tamper)

    check = check_copy(target)

    assert not check.ok
    assert check.integrity == "ok"  # a valid SQLite file: only the chain tells
    assert check.verification.broken_position == broken_at
    assert problem in check.problem


@sqlite_file
def test_a_backup_of_a_broken_log_exits_with_the_reason_and_is_not_put_in_place(
    committed_company, tmp_path
):
    company, user = committed_company
    append_counted(uuid.uuid4(), 0, *range(4), company=company, actor=user)
    with connection.cursor() as cursor:
        for statement in _TRIGGERS.SQLITE_DOWN:
            cursor.execute(statement)  # committed_log puts them back
        cursor.execute("UPDATE events_event SET event_type = 'Forged' WHERE position = 2")
    target = tmp_path / "db.sqlite3"

    with pytest.raises(CommandError, match="FAILED its check: hash chain BROKEN at position 2"):
        backup(target)

    assert not target.exists()
    assert (tmp_path / "db.sqlite3.unverified").exists()


@sqlite_file
def test_the_check_rejects_a_file_that_is_not_a_database(tmp_path):
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 500)

    check = check_copy(garbage)

    assert not check.ok
    assert "not a readable SQLite database" in check.problem


@sqlite_file
def test_an_existing_backup_is_kept_unless_force_is_given(committed_company, tmp_path):
    company, user = committed_company
    append_counted(uuid.uuid4(), 0, 1, 2, company=company, actor=user)
    target = tmp_path / "db.sqlite3"
    target.write_text("yesterday's backup")

    with pytest.raises(CommandError, match="already exists; use --force"):
        backup(target)
    assert target.read_text() == "yesterday's backup"

    backup(target, "--force")
    assert len(log_rows(target)) == 2


@sqlite_file
def test_the_live_database_is_never_the_target(transactional_db):
    with pytest.raises(CommandError, match="live database itself"):
        backup(live_database())


def test_a_database_neither_sqlite_nor_postgresql_is_refused_with_a_clear_error(
    transactional_db, tmp_path, monkeypatch
):
    monkeypatch.setattr(connection, "vendor", "mysql")

    with pytest.raises(CommandError, match=r"copies SQLite databases and dumps PostgreSQL.*mysql"):
        backup(tmp_path / "db.sqlite3")

    assert list(tmp_path.iterdir()) == []


# --- PostgreSQL: pg_dump, checked by a restore into a scratch database -------------------------

postgres_dump = postgres_only("backup_db dumps PostgreSQL databases with pg_dump")


def scratch_databases() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE strpos(datname, %s) > 0",
            [backup_postgres.SCRATCH_MARK],
        )
        return [name for (name,) in cursor.fetchall()]


def restore_listing(dump) -> str:
    """pg_restore's table of contents of a dump file (fails if it is not one)."""
    return subprocess.run(
        ["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True
    ).stdout


@postgres_dump
def test_a_postgresql_backup_is_a_dump_that_restores_and_verifies(seeded, tmp_path):
    target = tmp_path / "ledgerline.dump"

    output = backup(target)

    assert "pg_restore into a scratch database: ok" in output
    assert f"{seeded:,} events" in output
    live = verify_log()
    assert f"hash chain: OK: {seeded} events checked" in output
    assert f"head position {live.head_position}, head hash {live.head_hash[:16]}" in output
    listing = restore_listing(target)
    assert "TABLE DATA public events_event" in listing
    assert "TRIGGER public events_event events_event_append_only" in listing
    # The dump and the witnessed checkpoints up to its head (issue #16), nothing else.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        target.name,
        f"{target.name}.witness.jsonl",
    ]
    assert "witness:" in output
    assert scratch_databases() == []


@postgres_dump
def test_a_postgresql_dump_of_a_broken_log_is_refused_and_not_put_in_place(
    committed_company, tmp_path
):
    company, user = committed_company
    append_counted(uuid.uuid4(), 0, *range(4), company=company, actor=user)
    drop_append_only_triggers()  # put back after the test
    with connection.cursor() as cursor:
        cursor.execute("UPDATE events_event SET event_type = 'Forged' WHERE position = 2")
    target = tmp_path / "db.dump"

    with pytest.raises(CommandError, match="FAILED its check: hash chain BROKEN at position 2"):
        backup(target)

    assert not target.exists()
    assert "TABLE DATA public events_event" in restore_listing(tmp_path / "db.dump.unverified")
    assert scratch_databases() == []


@postgres_dump
def test_an_existing_postgresql_dump_is_kept_unless_force_is_given(committed_company, tmp_path):
    target = tmp_path / "db.dump"
    target.write_text("yesterday's dump")

    with pytest.raises(CommandError, match="already exists"):
        backup(target)
    assert target.read_text() == "yesterday's dump"

    backup(target, "--force")
    assert "TABLE DATA public events_event" in restore_listing(target)
