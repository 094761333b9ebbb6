"""What the ops page shows, read only. The platform's health (`ops_desk`: absolute file paths,
the whole log's positions, every company's activity) is for the platform operator (a
superuser) only; a company's Ops user sees its own company's figures (`company_desk`), issue #24
item 12.

Every value comes from what the commands already record: projection checkpoints, the last
`verify_events` run (`IntegrityCheck`), the last `backup_db` (`BackupRecord`), the witness's
state, the scratch files of interrupted rebuilds and the database files' sizes.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from django.db import connections
from django.db.models import Count, Max

from events import postgres, store, verification, witness
from events.models import BackupRecord, Event, IntegrityCheck
from events.sqlite import database_path
from outbox import selectors as outbox_selectors
from outbox.models import OutboxItem
from projections import engine, scratch


@dataclasses.dataclass
class DatabaseFiles:
    """The SQLite file and its write-ahead log, in bytes (None: not a SQLite file); for
    PostgreSQL the database's name and size."""

    path: str | None
    size_bytes: int | None
    wal_bytes: int | None
    vendor: str = "sqlite"


@dataclasses.dataclass
class BackupState:
    record: BackupRecord | None
    file_present: bool
    events_since: int  # events appended after the backup's head


@dataclasses.dataclass
class VerificationState:
    check: IntegrityCheck | None
    events_since: int  # events appended after the checked head (not yet verified)
    witness_problem: str  # "" when the witness is being written


@dataclasses.dataclass
class OpsDesk:
    head: int
    projections: list[engine.Status]
    verification: VerificationState
    backup: BackupState
    leftovers: list[scratch.Leftover]
    database: DatabaseFiles

    @property
    def lagging(self) -> list[engine.Status]:
        return [p for p in self.projections if p.lag]


def database_files(using: str = "default") -> DatabaseFiles:
    """The SQLite file and its WAL; for PostgreSQL the database's name and size (no WAL file of
    its own to show: the server's WAL is shared by all its databases)."""
    path = database_path(using)
    if path is None:
        size = postgres.database_size(using)
        name = connections[using].settings_dict.get("NAME") if size is not None else None
        return DatabaseFiles(name, size, None, connections[using].vendor)
    return DatabaseFiles(path, _size(path), _size(path + "-wal"))


def _size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def ops_desk(using: str = "default") -> OpsDesk:
    """The whole page's data: a handful of small queries and a few `stat` calls."""
    head = store.head_position(using=using)
    check = verification.last_check(using)  # a forged or future record says so
    backup = BackupRecord.objects.using(using).order_by("-taken_at").first()
    return OpsDesk(
        head=head,
        projections=engine.status(using),
        verification=VerificationState(
            check, head - check.head_position if check else head, witness.status(using)
        ),
        backup=BackupState(
            backup,
            bool(backup) and Path(backup.path).is_file(),
            head - backup.head_position if backup else head,
        ),
        leftovers=scratch.leftovers(using),
        database=database_files(using),
    )


@dataclasses.dataclass
class OutboxDesk:
    """The worker and the subscriptions, for one company (its own figures only)."""

    workers: outbox_selectors.WorkerState
    subscriptions: list[outbox_selectors.SubscriptionStatus]
    parked: list[OutboxItem]


def outbox_desk(company_id, *, now) -> OutboxDesk:
    subscriptions = outbox_selectors.subscriptions(company_id)
    positions = [s.position for s in subscriptions if s.position]
    numbers = store.event_numbers(company_id, positions)
    for status in subscriptions:
        status.number = numbers.get(status.position, 0)
    return OutboxDesk(
        workers=outbox_selectors.workers(now),
        subscriptions=subscriptions,
        parked=outbox_selectors.parked_items(company_id),
    )


@dataclasses.dataclass(frozen=True)
class CompanyDesk:
    """One company's figures: its events and their newest time, its access events, and
    whether every read model has caught up with the log (yes or no: how far behind would
    tell of other companies' activity)."""

    events: int
    last_event_at: object
    user_events: int
    read_models_current: bool


def company_desk(company_id, using: str = "default") -> CompanyDesk:
    """The company's figures: two small queries plus the projections' checkpoints."""
    figures = (
        Event.objects.using(using)
        .filter(company_id=company_id)
        .aggregate(n=Count("id"), last=Max("recorded_at"))
    )
    users = Event.objects.using(using).filter(company_id=company_id, stream_type="user").count()
    current = not any(p.lag for p in engine.status(using))
    return CompanyDesk(figures["n"], figures["last"], users, current)
