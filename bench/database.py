"""The benchmark's database: a SQLite file (the default) or a PostgreSQL database made for the run.

`python -m bench.run` measures the SQLite file at `--db`. With `--database-url postgres://…`
(`make bench DATABASE_URL=postgres://…`) it creates a database named after the URL's, with a
`_bench` suffix, on that server (the URL's own database is only used to create and drop it),
measures that, and drops it at the end (`--keep-db` keeps it, for `--reuse`). Logs, the seed's
sidecar and the static files stay in the folder of `--db` either way.

What is not Django's business lives here, one branch per database: the bare-driver references
(a scan of the log), the storage figures (`dbstat` on SQLite,
`pg_total_relation_size` on PostgreSQL) and the page picker's reads. Plain SQL on purpose: the
references measure the driver without Django, and the page picker reads a baseline's database
with the same code as this tree's.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")


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
    def from_args(cls, db: Path, database_url: str = "") -> BenchDatabase:
        if not database_url:
            return cls("sqlite", db, f"sqlite:///{db}")
        parts = urlsplit(database_url)
        if parts.scheme not in POSTGRES_SCHEMES:
            raise ValueError(f"--database-url: a postgres:// URL, not {parts.scheme}://")
        admin_name = parts.path.lstrip("/") or "postgres"
        name = f"{admin_name}_bench"
        url = urlunsplit(parts._replace(path=f"/{name}"))
        return cls("postgresql", db.with_name(f"{name}.postgresql"), url, database_url, name)

    @property
    def on_postgres(self) -> bool:
        return self.vendor == "postgresql"

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def sidecar(self) -> Path:
        """The seed's parameters and figures, written after seeding (`--reuse` reads them)."""
        return self.path.with_name(self.path.stem + ".seed.json")

    @property
    def label(self) -> str:
        return f"PostgreSQL database {self.name}" if self.on_postgres else str(self.path)

    # --- life cycle ---------------------------------------------------------------------------

    def exists(self) -> bool:
        if not self.on_postgres:
            return self.path.exists()
        with _admin(self.admin_url) as admin:
            found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name])
            return found.fetchone() is not None

    def create_empty(self) -> None:
        """A fresh, empty database (an existing one and its sidecar are removed first)."""
        self.remove()
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.on_postgres:
            with _admin(self.admin_url) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"')

    def remove(self) -> None:
        """Drop the database (or delete the SQLite file and its WAL) and the sidecar."""
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.sidecar)
        if self.on_postgres:
            from django.db import connections

            connections.close_all()  # our own connections to it, if any
            with _admin(self.admin_url) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            return
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{self.path}{suffix}")

    def connect(self):
        """A bare DB-API connection (sqlite3 or psycopg), outside Django."""
        if self.on_postgres:
            import psycopg

            return psycopg.connect(self.url)
        return sqlite3.connect(self.path)

    @property
    def placeholder(self) -> str:
        return "%s" if self.on_postgres else "?"

    def server_version(self) -> str:
        if not self.on_postgres:
            return sqlite3.sqlite_version
        with _admin(self.admin_url) as admin:
            return admin.execute("SHOW server_version").fetchone()[0]

    def server_settings(self) -> dict[str, str]:
        """PostgreSQL: the durability settings that decide a commit's cost (for the report)."""
        if not self.on_postgres:
            return {}
        names = ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers")
        with _admin(self.admin_url) as admin:
            return {n: admin.execute(f"SHOW {n}").fetchone()[0] for n in names}


@contextlib.contextmanager
def _admin(url: str):
    import psycopg

    connection = psycopg.connect(url, autocommit=True)
    try:
        yield connection
    finally:
        connection.close()


# --- storage -------------------------------------------------------------------------------------


def storage(db: BenchDatabase) -> dict:
    """Bytes per event: the whole database, and per table (its rows vs its indexes)."""
    if db.on_postgres:
        return _storage_postgres(db)
    return _storage_sqlite(db.path)


def _storage_postgres(db: BenchDatabase) -> dict:
    with contextlib.closing(db.connect()) as connection:
        connection.execute("ANALYZE")  # fresh row estimates (an exact COUNT of each is slow)
        events = connection.execute("SELECT COUNT(*) FROM events_event").fetchone()[0]
        size = connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        rows = connection.execute(
            "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid), "
            "pg_total_relation_size(c.oid), c.reltuples::bigint "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = current_schema() "
            "ORDER BY pg_total_relation_size(c.oid) DESC"
        ).fetchall()
        tables = {}
        for name, table_bytes, index_bytes, total, estimate in rows:
            indexes = dict(
                connection.execute(
                    "SELECT i.relname || ' (' || pg_get_indexdef(i.oid) || ')', "
                    "pg_relation_size(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = "
                    "x.indexrelid WHERE x.indrelid = %s::regclass",
                    [name],
                ).fetchall()
            )
            tables[name] = {
                "table_bytes": table_bytes,  # heap + TOAST + free-space and visibility maps
                "index_bytes": index_bytes,
                "total_bytes": total,
                "rows": max(estimate, 0),  # the planner's estimate (exact COUNT is slow)
                "indexes": indexes,
            }
    result = {
        "file_bytes": size,  # pg_database_size: every relation, the catalogue included
        "events": events,
        "bytes_per_event": round(size / events, 1) if events else 0.0,
        "free_bytes": 0,  # dead tuples are not split out (see the per-table figures)
        "tables": tables,
    }
    log_table = tables.get("events_event")
    if log_table and events:
        result["event_table_bytes_per_event"] = round(log_table["table_bytes"] / events, 1)
        result["event_index_bytes_per_event"] = round(log_table["index_bytes"] / events, 1)
    with contextlib.closing(db.connect()) as connection:  # the raw row: its columns' bytes
        average = "SELECT avg(pg_column_size(e.*)) FROM events_event e"
        result["raw_row_bytes"] = round(float(connection.execute(average).fetchone()[0] or 0), 1)
    return result


def _storage_sqlite(db: Path) -> dict:
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    events = connection.execute("SELECT COUNT(*) FROM events_event").fetchone()[0]
    main = os.path.getsize(db)
    wal = os.path.getsize(f"{db}-wal") if os.path.exists(f"{db}-wal") else 0
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    free_pages = connection.execute("PRAGMA freelist_count").fetchone()[0]
    result = {
        "file_bytes": main + wal,
        "main_bytes": main,
        "wal_bytes_after_checkpoint": wal,
        "page_size": page_size,
        "free_bytes": free_pages * page_size,
        "events": events,
        "bytes_per_event": round((main + wal) / events, 1) if events else 0.0,
    }
    owner = dict(connection.execute("SELECT name, tbl_name FROM sqlite_master"))
    try:
        sizes = connection.execute(
            "SELECT name, SUM(pgsize), SUM(payload) FROM dbstat GROUP BY name"
        ).fetchall()
    except sqlite3.OperationalError:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
        result["tables"] = None
    else:
        tables: dict[str, dict] = {}
        for name, pages, payload in sizes:
            table = owner.get(name, name)
            entry = tables.setdefault(
                table, {"table_bytes": 0, "index_bytes": 0, "rows": None, "indexes": {}}
            )
            entry["index_bytes" if name != table else "table_bytes"] += pages
            if name == table:
                entry["payload_bytes"] = payload
            else:
                columns = [r[2] for r in connection.execute(f'PRAGMA index_info("{name}")')]
                entry["indexes"][f"{name} ({', '.join(map(str, columns))})"] = pages
        for table, entry in tables.items():
            if table.startswith("sqlite_"):
                continue
            with contextlib.suppress(sqlite3.OperationalError):
                entry["rows"] = connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        ordered = sorted(
            tables.items(), key=lambda kv: -(kv[1]["table_bytes"] + kv[1]["index_bytes"])
        )
        result["tables"] = dict(ordered)
        log_table = tables.get("events_event")
        if log_table and events:
            result["event_table_bytes_per_event"] = round(log_table["table_bytes"] / events, 1)
            result["event_index_bytes_per_event"] = round(log_table["index_bytes"] / events, 1)
            # The raw row: the bytes of the event records themselves (dbstat payload).
            result["raw_row_bytes"] = round(log_table.get("payload_bytes", 0) / events, 1)
    connection.close()
    return result


# --- bare-driver references ----------------------------------------------------------------------


def sqlite_tuning() -> list[str]:
    """The app's PRAGMAs (`SQLITE_INIT_COMMAND`: WAL, synchronous=NORMAL, …), one per item."""
    from django.conf import settings

    return [p for p in settings.SQLITE_INIT_COMMAND.split(";") if p.strip()]


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
        connection = sqlite3.connect(db.path)
        for pragma in sqlite_tuning():
            connection.execute(pragma)
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
    return {
        "scan_events": count,
        "scan_seconds": round(seconds, 2),
        "scan_events_per_s": round(count / seconds, 1) if seconds else 0.0,
    }
