"""The benchmark's database (`--db`, or `<name>_bench` on `--database-url`'s server), and in plain
SQL on purpose (the references measure the driver, not Django): the bare scan and storage."""

import contextlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")
PG_SHOWN = ("server_version", "fsync", "synchronous_commit", "full_page_writes", "shared_buffers")


@dataclass(frozen=True)
class BenchDatabase:
    """Where the benchmark's data lives. `path` is the SQLite file, or on PostgreSQL a name in
    the data folder that the sidecar and logs are named after (no file is created there)."""

    vendor: str  # "sqlite" or "postgresql"
    path: Path
    url: str  # the DATABASE_URL the app, the servers and the children use
    admin_url: str = ""  # PostgreSQL: the URL's own database, to create and drop ours from
    name: str = ""  # PostgreSQL: our database's name

    @classmethod
    def from_args(cls, db: Path, database_url: str = "") -> "BenchDatabase":
        """The SQLite file `db`, or `<name>_bench` beside the database of `database_url`."""
        if not database_url:
            return cls("sqlite", db, f"sqlite:///{db}")
        parts = urlsplit(database_url)
        if parts.scheme not in POSTGRES_SCHEMES:
            raise ValueError(f"a postgres:// URL, not {parts.scheme}://")
        name = f"{parts.path.lstrip('/') or 'postgres'}_bench"
        url = urlunsplit(parts._replace(path=f"/{name}"))
        return cls("postgresql", db.with_name(f"{name}.postgresql"), url, database_url, name)

    @property
    def on_postgres(self) -> bool:
        return self.vendor == "postgresql"

    @property
    def sidecar(self) -> Path:
        """The seed's parameters and figures, written after seeding (`--reuse` reads them)."""
        return self.path.with_name(self.path.stem + ".seed.json")

    @property
    def label(self) -> str:
        return f"PostgreSQL database {self.name}" if self.on_postgres else str(self.path)

    def exists(self) -> bool:
        if not self.on_postgres:
            return self.path.exists()
        with self.connect(admin=True) as admin:
            found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name])
            return found.fetchone() is not None

    def create_empty(self) -> None:
        """A fresh, empty database (an existing one and its sidecar are removed first)."""
        self.remove()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.on_postgres:
            with self.connect(admin=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"')

    def remove(self) -> None:
        """Drop the database (or delete the SQLite file and its WAL) and the sidecar."""
        self.sidecar.unlink(missing_ok=True)
        if not self.on_postgres:
            return remove_sqlite(self.path)
        from django.db import connections

        connections.close_all()  # our own connections to it, if any
        with self.connect(admin=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def connect(self, *, autocommit: bool = False, admin: bool = False):
        """A bare DB-API connection (sqlite3 or psycopg), outside Django; `admin`: to the URL's
        own database (autocommit), to create and drop ours from."""
        if self.on_postgres:
            import psycopg

            url = self.admin_url if admin else self.url
            return psycopg.connect(url, autocommit=autocommit or admin)
        return sqlite3.connect(self.path)

    def server(self) -> tuple[str, dict[str, str]]:
        """The server's version and (PostgreSQL) the durability settings that decide a commit's
        cost, for the report."""
        if not self.on_postgres:
            return sqlite3.sqlite_version, {}
        with self.connect(admin=True) as admin:
            shown = {name: admin.execute(f"SHOW {name}").fetchone()[0] for name in PG_SHOWN}
        return shown.pop("server_version"), shown


def remove_sqlite(path: Path) -> None:
    """A SQLite file and its WAL, shared memory and journal, gone."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def sqlite_file_bytes(path: Path) -> int:
    """A SQLite file's size with its WAL checkpointed into it."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def storage(db: BenchDatabase, *, log) -> dict:
    """Bytes per event (the whole database / events), the raw row (the bytes of an event's own
    record) and, per table, its rows' and its indexes' bytes, largest first."""
    with contextlib.closing(db.connect()) as connection:
        run = lambda sql: connection.execute(sql).fetchall()  # noqa: E731
        events = run("SELECT COUNT(*) FROM events_event")[0][0]
        if db.on_postgres:
            connection.execute("ANALYZE")  # fresh row estimates (an exact COUNT is slow)
            size, free = run("SELECT pg_database_size(current_database())")[0][0], 0
            raw = run("SELECT avg(pg_column_size(e.*)) FROM events_event e")[0][0]
            tables = run(
                "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid), c.reltuples "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname = current_schema()"
            )
        else:
            size = sqlite_file_bytes(db.path)
            free = run("PRAGMA freelist_count")[0][0] * run("PRAGMA page_size")[0][0]
            raw = run("SELECT SUM(payload) FROM dbstat WHERE name = 'events_event'")[0][0]
            raw /= max(events, 1)
            tables = run(  # dbstat's b-trees by the table they belong to (an index: its table's)
                "SELECT COALESCE(m.tbl_name, d.name), SUM(IIF(m.type = 'index', 0, d.pgsize)), "
                "SUM(IIF(m.type = 'index', d.pgsize, 0)), NULL FROM dbstat d "
                "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1"
            )
    ordered = sorted(tables, key=lambda row: -(row[1] + row[2]))
    log_table, per_event = next(row for row in ordered if row[0] == "events_event"), max(events, 1)
    log(f"storage: {size / per_event:,.0f} B/event, raw row {float(raw or 0):.1f} B")
    return {
        "file_bytes": size, "free_bytes": free, "events": events,
        "bytes_per_event": round(size / events, 1) if events else 0.0,
        "raw_row_bytes": round(float(raw or 0), 1),
        "event_table_bytes_per_event": round(log_table[1] / per_event, 1),
        "event_index_bytes_per_event": round(log_table[2] / per_event, 1),
        "tables": {
            name: {"table_bytes": t, "index_bytes": i, "total_bytes": t + i, "rows_estimate": n}
            for name, t, i, n in ordered
        },
    }  # fmt: skip


def tune(connection: sqlite3.Connection) -> sqlite3.Connection:
    """The app's PRAGMAs (`SQLITE_INIT_COMMAND`: WAL, synchronous=NORMAL, …) on `connection`."""
    from django.conf import settings

    connection.executescript(settings.SQLITE_INIT_COMMAND)
    return connection


_SCAN = (
    "SELECT id, position, stream_type, stream_id, version, event_type, schema_version, "
    "{payload}, {metadata}, company_id, occurred_at, recorded_at, prev_hash, hash "
    "FROM events_event ORDER BY position"
)


def reference_scan(db: BenchDatabase) -> dict:
    """The bare driver: read every event row in position order, `json.loads` payload and
    metadata (on PostgreSQL read as text, so the decoding is the same work)."""
    started, count = time.perf_counter(), 0
    if db.on_postgres:
        connection = db.connect()
        cursor = connection.cursor(name="bench_scan")  # server-side: bounded memory
        cursor.itersize = 5000
        cursor.execute(_SCAN.format(payload="payload::text", metadata="metadata::text"))
    else:
        connection = tune(db.connect())
        cursor = connection.execute(_SCAN.format(payload="payload", metadata="metadata"))
    try:
        while rows := cursor.fetchmany(5000):
            for row in rows:
                json.loads(row[7])
                json.loads(row[8])
            count += len(rows)
    finally:
        connection.close()
    seconds = time.perf_counter() - started
    return {"scan_events": count, "scan_seconds": round(seconds, 2),
            "scan_events_per_s": round(count / seconds, 1) if seconds else 0.0}  # fmt: skip
