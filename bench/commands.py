"""The commands section (bench/README.md, "What happens", 4): the same moves by each variant.
Imported once Django is set up."""

import contextlib
import dataclasses
import json
import os
import random
import sqlite3
import statistics
import time
import uuid
from pathlib import Path
from unittest import mock

from django import db
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from accounts.models import User
from bench.database import remove_sqlite, sqlite_file_bytes, tune
from events import witness
from orders import commands
from orders.demo import order_input

MOVES = ("submit", "approve", "start_fulfilment", "ship", "deliver")
STATES = ("draft", "submitted", "approved", "in_fulfilment", "shipped", "delivered")
SHIP_DATA = {name: {} for name in MOVES}  # each move's data: only "ship" takes any
SHIP_DATA["ship"] = {"carrier": "DHL", "tracking_number": "TRK1234567890"}
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")
ROW = json.dumps({"from_state": "approved", "to_state": "in_fulfilment", "pad": "x" * 500})


class PeerOrder(Aggregate):
    """The peer's order: the same life cycle, each move an aggregate event naming the move and
    its data (as our events carry them)."""

    @event("Placed")
    def __init__(self, company: str, details: dict, lines: list):
        self.company, self.details, self.lines, self.state = company, details, lines, "draft"

    @event("Moved")
    def move(self, name: str, data: dict):
        self.state, self.data = STATES[MOVES.index(name) + 1], data


class Ours:
    """`orders.commands` on the bench database; `witness=False`: no witness checkpoints."""

    def __init__(self, *, witness: bool = True):
        self.name, self.witness = "ours" if witness else "ours_no_witness", witness
        users = User.objects.filter(username__regex=r"\.(staff|manager)$").select_related("company")
        by_company: dict = {}
        for user in users:
            by_company.setdefault(user.company.slug, {})[user.username.rsplit(".")[1]] = user
        self.companies = [pair for _, pair in sorted(by_company.items()) if len(pair) == 2]

    def cycle(self, rng, latencies):
        # Without the witness, commits register no checkpoint (its cost: ours - ours_no_witness).
        off = mock.patch.object(witness, "witness_on_commit", lambda *args, **kwargs: None)
        with contextlib.nullcontext() if self.witness else off:
            users, (details, lines) = rng.choice(self.companies), order_input(rng)
            started = time.perf_counter()
            order = commands.place_order(actor=users["staff"], details=details, lines=lines)
            latencies.append(time.perf_counter() - started)
            for name in MOVES:
                actor, data = users["manager" if name == "approve" else "staff"], SHIP_DATA[name]
                started = time.perf_counter()
                order = commands.transition(
                    order.id, name, actor=actor, expected_version=order.version, **data
                )
                latencies.append(time.perf_counter() - started)

    def counting(self, counter):
        def count(execute, sql, params, many, context):
            counter[0] += not sql.lstrip().upper().startswith(TRANSACTION_CONTROL)
            return execute(sql, params, many, context)

        return db.connection.execute_wrapper(count)

    def wal_connections(self):
        db.connection.ensure_connection()
        return [db.connection.connection] if db.connection.vendor == "sqlite" else []


class Peer:
    """The `eventsourcing` library on the SQLite file `path`, its pool's connections given the
    app's PRAGMAs (its default is synchronous=FULL) and kept for the probes (the private names
    are the library's in 9.5, pinned)."""

    name = "peer"

    def __init__(self, path: Path):
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        self.app, self.raw = Application(env=env), []
        pool = self.app.recorder.datastore.pool

        def tuned(connection):
            self.raw.append(tune(connection._sqlite_conn))
            return connection

        create = pool._create_connection
        pool._create_connection = lambda: tuned(create())
        for connection in pool._pool:
            tuned(connection)

    def cycle(self, rng, latencies):
        details, lines = order_input(rng)
        details, lines = dataclasses.asdict(details), [dataclasses.asdict(x) for x in lines]
        started = time.perf_counter()
        order = PeerOrder(company=f"c{rng.randrange(10)}", details=details, lines=lines)
        self.app.save(order)
        latencies.append(time.perf_counter() - started)
        for name in MOVES:
            started = time.perf_counter()
            order = self.app.repository.get(order.id)
            if order.state != STATES[MOVES.index(name)]:  # the guard, as our FSM's
                raise RuntimeError(f"peer: cannot {name} a {order.state} order")
            order.move(name, SHIP_DATA[name])
            self.app.save(order)
            latencies.append(time.perf_counter() - started)

    @contextlib.contextmanager
    def counting(self, counter):
        def count(sql):
            counter[0] += not sql.lstrip().upper().startswith(TRANSACTION_CONTROL)

        for connection in self.raw:
            connection.set_trace_callback(count)
        try:
            yield
        finally:
            for connection in self.raw:
                connection.set_trace_callback(None)

    def wal_connections(self):
        return self.raw

    def events(self) -> int:
        return self.raw[0].execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]


class Bare:
    """One event-sized row per transaction, on a scratch table (SQLite file / PostgreSQL)."""

    name = "bare"

    def __init__(self, database, folder: Path):
        self.postgres = database.on_postgres
        if self.postgres:  # the types of our events table's columns
            self.connection = database.connect(autocommit=True)
            self.table, self.begin, mark = f"bench_bare_{os.getpid()}", "BEGIN", "%s"
            columns = "id BIGSERIAL PRIMARY KEY, stream_id UUID, payload JSONB"
        else:
            remove_sqlite(folder / "bare.sqlite3")
            self.connection = tune(sqlite3.connect(folder / "bare.sqlite3", isolation_level=None))
            self.table, self.begin, mark = "event", "BEGIN IMMEDIATE", "?"
            columns = "id INTEGER PRIMARY KEY, stream_id TEXT, payload TEXT"
        self.connection.execute(f"CREATE TABLE {self.table} ({columns})")
        self.insert = f"INSERT INTO {self.table} (stream_id, payload) VALUES ({mark}, {mark})"

    def cycle(self, rng, latencies):
        for _ in range(1 + len(MOVES)):
            started = time.perf_counter()
            self.connection.execute(self.begin)
            self.connection.execute(self.insert, (uuid.uuid4().hex, ROW))
            self.connection.execute("COMMIT")
            latencies.append(time.perf_counter() - started)

    @contextlib.contextmanager
    def counting(self, counter):
        yield
        counter[0] = counter[1]  # one INSERT per command, by construction

    def wal_connections(self):
        return [] if self.postgres else [self.connection]

    def wal_position(self) -> int:
        """PostgreSQL: the server's WAL position (bytes)."""
        lsn = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
        return self.connection.execute(lsn).fetchone()[0]

    def close(self) -> None:
        if self.postgres:
            self.connection.execute(f"DROP TABLE IF EXISTS {self.table}")
        self.connection.close()


def timed_round(variant, cycles: int, rng: random.Random, into: dict | None = None):
    """`cycles` orders of `variant`, timed; added to `into` (a round's figures so far)."""
    into = {"commands": 0, "seconds": 0.0, "cpu": 0.0, "latencies": []} if into is None else into
    cpu, wall, before = time.process_time(), time.perf_counter(), len(into["latencies"])
    for _ in range(cycles):
        variant.cycle(rng, into["latencies"])
    into["cpu"] += time.process_time() - cpu
    into["seconds"] += time.perf_counter() - wall
    into["commands"] += len(into["latencies"]) - before
    return into


def probe(variant, cycles: int, rng: random.Random, wal_position=None) -> dict:
    """Statements per command and WAL per commit (SQLite: pages; PostgreSQL: bytes, from
    `wal_position()`, the server's WAL position), over `cycles` untimed orders."""
    connections = variant.wal_connections()
    start = wal_position() if wal_position else None
    for connection in connections:
        connection.execute("PRAGMA wal_autocheckpoint=0")
    if connections:
        connections[0].execute("PRAGMA wal_checkpoint(TRUNCATE)")
    counter, latencies = [0, 0], []
    with variant.counting(counter):
        for _ in range(cycles):
            variant.cycle(rng, latencies)
        counter[1] = len(latencies)
    figures = {"statements_per_command": round(counter[0] / len(latencies), 2)}
    if start is not None:
        figures["wal_bytes_per_commit"] = round((wal_position() - start) / len(latencies))
    if connections:
        frames = connections[0].execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        figures["wal_pages_per_commit"] = round(frames / len(latencies), 2)
        for connection in connections:
            connection.execute("PRAGMA wal_autocheckpoint=1000")
    return figures


def summarize(rounds: list[dict]) -> dict:
    """Commands, the median round's commands/s and CPU ms per command, latency percentiles."""
    cuts = statistics.quantiles([x for r in rounds for x in r["latencies"]], n=100)
    per_s = [r["commands"] / r["seconds"] for r in rounds]
    cpu = [1000 * r["cpu"] / r["commands"] for r in rounds]
    return {"commands": sum(r["commands"] for r in rounds),
            "per_s": round(statistics.median(per_s), 1),
            "per_s_rounds": [round(x, 1) for x in per_s],
            "cpu_ms": round(statistics.median(cpu), 3),
            **{f"p{q}_ms": round(1000 * cuts[q - 1], 3) for q in (50, 95, 99)}}  # fmt: skip


def measure_commands(args, *, log) -> dict:
    """Every variant, `args.rounds` alternating rounds of `args.cycles` orders, then probes."""
    database, folder = args.database, args.db.parent
    variants = [Ours(), Ours(witness=False)]
    if not database.on_postgres:
        peer_file = folder / "peer.sqlite3"
        remove_sqlite(peer_file)
        variants.append(Peer(peer_file))
    variants.append(Bare(database, folder))
    rng = random.Random(args.seed)
    for variant in variants:  # warm-up: imports, caches, the first connections
        variant.cycle(rng, [])
    rounds: dict[str, list] = {v.name: [] for v in variants}
    block = max(1, min(10, args.cycles // 10))
    for number in range(args.rounds):
        # Within a round the variants take turns every `block` orders, so a busy moment of the
        # machine falls on all of them alike; the order of the turns rotates per round.
        shift = number % len(variants)
        for variant in variants:
            rounds[variant.name].append(timed_round(variant, 0, rng))
        for done in range(0, args.cycles, block):
            for variant in variants[shift:] + variants[:shift]:
                timed_round(variant, min(block, args.cycles - done), rng, rounds[variant.name][-1])
        speeds = (f"{n} {r[-1]['commands'] / r[-1]['seconds']:,.0f}/s" for n, r in rounds.items())
        log(f"commands: round {number + 1}: {', '.join(speeds)}")
    result = {name: summarize(r) for name, r in rounds.items()}
    position = variants[-1].wal_position if database.on_postgres else None  # the bare's server
    for variant in variants:
        result[variant.name].update(probe(variant, max(2, args.cycles // 10), rng, position))
    if "peer" in result:
        peer = {"events": variants[2].events(), "file_bytes": sqlite_file_bytes(peer_file)}
        result["peer"].update(peer, bytes_per_event=round(peer["file_bytes"] / peer["events"], 1))
    variants[-1].close()
    db.connections.close_all()
    ours, no_witness = result["ours"], result["ours_no_witness"]
    result["witness_cost_cpu_us"] = round(1000 * (ours["cpu_ms"] - no_witness["cpu_ms"]))
    for reference in ("peer", "bare"):
        if reference in result:
            result[f"vs_{reference}"] = round(ours["per_s"] / result[reference]["per_s"], 4)
            paired = zip(ours["per_s_rounds"], result[reference]["per_s_rounds"], strict=True)
            result[f"vs_{reference}_rounds"] = [round(a / b, 4) for a, b in paired]
    result["setup"] = {"rounds": args.rounds, "cycles": args.cycles, "moves": ["place", *MOVES]}
    return result
