"""Seed the benchmark database: companies, users, and an event log of realistic orders.

A few hundred orders go through `orders.commands` (the real write path, ~150 events/s); the rest
through the FAST PATH, which writes the rows `events.store.append` would write, in bulk: each
order follows a plan (`plan_order`: `orders.demo.order_plan`'s path, an occasional draft
revision, a few notes), all orders' steps merged by time (`timeline`); each step becomes the
event the command would record (`fast_event`: the same classes, the commands' own guards,
numbering and target state, the order moved on by `orders.aggregate.evolve`), and each event the
row `append` would write (sealed payload, metadata, the HMAC chain from the log's head, every
column encoded by its Django field). Then the orders seeded through the commands are planned
again and their fast-path events compared with the log (`compare_with_commands`).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import heapq
import itertools
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connections, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import Company, Role, User
from events import keystore, sealing
from events.hashing import GENESIS, event_hash
from events.models import Event
from events.registry import DomainEvent, event_class
from events.store import event_metadata
from orders import commands
from orders.aggregate import Pending, evolve
from orders.demo import MANAGER_ACTIONS, order_input, order_plan
from orders.events import Line, NoteAdded, OrderChanged, OrderDetails, OrderPlaced
from orders.exceptions import OrderError
from orders.models import Order
from orders.policy import Policy
from orders.validation import clean_fields, clean_order

COMPANIES = [
    ("Acme Corp", "acme", "EUR"),
    ("Globex", "globex", "USD"),
    ("Initech", "initech", "USD"),
    ("Umbrella Corp", "umbrella", "GBP"),
    ("Stark Industries", "stark", "USD"),
    ("Wayne Enterprises", "wayne", "USD"),
    ("Tyrell Corp", "tyrell", "EUR"),
    ("Cyberdyne", "cyberdyne", "CHF"),
    ("Soylent", "soylent", "EUR"),
    ("Hooli", "hooli", "USD"),
]
NOTE_TEXTS = [
    "Customer called to confirm the quantities.",
    "Invoice address confirmed by e-mail.",
    "Customer asked for delivery before noon.",
    "Warehouse confirmed stock for all lines.",
    "Customer asked for a copy of the order confirmation.",
    "Delivery window agreed with the site manager.",
]
CHANGE_RATE = 0.10  # share of orders whose draft is revised once before the first submit
DEFAULT_NOTES_PER_ORDER = 4.5  # brings the demo plan's ~5.5 events per order to ~10
ROW_CHUNK = 50_000
STREAM_TYPE = "order"
FIELDS = Event._meta.concrete_fields
INSERT_EVENTS = (
    f"INSERT INTO events_event ({', '.join(f.column for f in FIELDS)}) "
    f"VALUES ({', '.join(['%s'] * len(FIELDS))})"
)
FINAL_ACTIONS = frozenset({"deliver", "cancel"})


# --- plans -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Step:
    at: dt.datetime
    action: str  # "place", "change", "add_note" or a workflow transition name
    data: dict


@dataclasses.dataclass(eq=False)
class PlannedOrder:
    """One order's whole future, plus the little state both executors track while replaying it.

    `number`, `sequence`, `state`, `version`, `held_from` and `line_count` are the `Order` row's
    fields, evolved by `orders.aggregate.evolve` (on `vars(order)`), so the commands' guards and
    the FSM's conditions (which read `order.line_count`) run on this object directly.
    """

    company: int  # index into the seeded companies
    stream_id: uuid.UUID | None
    details: OrderDetails
    lines: tuple[Line, ...]
    steps: list[Step]
    version: int = 0
    number: str = ""
    state: str = ""
    held_from: str = ""
    line_count: int = 0
    sequence: int = 0
    approved: bool = False
    # What the company's controls read (evolved too), and the policy they judge by: a seeded
    # company has recorded none, so the defaults (version 0) as `orders.policy` reads them.
    total_cents: int = 0
    authors: list = dataclasses.field(default_factory=list)
    approvals: list = dataclasses.field(default_factory=list)
    delivered_at: dt.datetime | None = None
    company_id: object = None
    policy: Policy = dataclasses.field(default_factory=Policy)


@dataclasses.dataclass(frozen=True)
class OrderSpec:
    start: dt.datetime
    company: int
    seed: int


def order_specs(
    count: int, companies: int, *, now: dt.datetime, days: int, seed: int, label: str
) -> list[OrderSpec]:
    """`count` orders over the last `days` days, round-robin over companies.

    As in `orders.demo.seed_orders`: a quarter start in the last ten days (so recent orders are
    still in flight in every state), the rest uniformly over the whole window.
    """
    rng = random.Random(f"{seed}:{label}")
    specs = []
    for index in range(count):
        window = min(days, 10) if rng.random() < 0.25 else days
        start = now - dt.timedelta(seconds=rng.uniform(0, window * 86400))
        specs.append(OrderSpec(start, index % companies, rng.getrandbits(64)))
    specs.sort(key=lambda spec: spec.start)
    return specs


def plan_order(
    rng: random.Random,
    *,
    company: int,
    start: dt.datetime,
    now: dt.datetime,
    notes_per_order: float = DEFAULT_NOTES_PER_ORDER,
) -> PlannedOrder:
    """`orders.demo.order_plan`'s path up to `now`, plus an occasional draft revision and notes."""
    details, lines = order_input(rng)
    stream_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    steps = []
    for at, action, data in order_plan(rng, start):
        if at > now:
            break  # the future has not happened yet: the order stays where it is
        steps.append(Step(at, action, data))
    extra = []
    if len(steps) > 1 and steps[1].action == "submit" and rng.random() < CHANGE_RATE:
        _, revised = order_input(rng)
        at = start + (steps[1].at - start) * rng.random()
        extra.append(Step(at, "change", {"details": details, "lines": revised}))
    end = steps[-1].at if steps[-1].action in FINAL_ACTIONS else now
    for _ in range(rng.randint(0, round(2 * notes_per_order))):
        at = start + (end - start) * rng.random()
        extra.append(Step(at, "add_note", {"text": rng.choice(NOTE_TEXTS)}))
    steps = [steps[0], *sorted(steps[1:] + extra, key=lambda step: step.at)]
    return PlannedOrder(company, stream_id, details, tuple(lines), steps)


def timeline(
    specs: Iterable[OrderSpec],
    *,
    now: dt.datetime,
    notes_per_order: float = DEFAULT_NOTES_PER_ORDER,
) -> Iterator[tuple[PlannedOrder, int]]:
    """Every step of every order, merged by time: yields (order, step index).

    An order is planned when its first step comes up and forgotten after its last, so memory
    holds only the orders open at that moment (about a tenth of them), not the whole log.
    """
    heap: list = []
    tie = itertools.count()
    pending = iter(specs)
    upcoming = next(pending, None)
    while heap or upcoming is not None:
        if upcoming is not None and (not heap or upcoming.start <= heap[0][0]):
            order = plan_order(
                random.Random(upcoming.seed),
                company=upcoming.company,
                start=upcoming.start,
                now=now,
                notes_per_order=notes_per_order,
            )
            heapq.heappush(heap, (order.steps[0].at, next(tie), order, 0))
            upcoming = next(pending, None)
            continue
        _, _, order, index = heapq.heappop(heap)
        yield order, index
        if index + 1 < len(order.steps):
            heapq.heappush(heap, (order.steps[index + 1].at, next(tie), order, index + 1))


def actor_role(order: PlannedOrder, action: str) -> Role:
    """Who does a step, as in `orders.demo.seed_orders`."""
    late_cancel = action == "cancel" and order.approved
    return Role.MANAGER if action in MANAGER_ACTIONS or late_cancel else Role.STAFF


# --- the slow, real path ---------------------------------------------------------------------


class CommandWriter:
    """Carries out plan steps with `orders.commands` (one transaction, one event each)."""

    def __init__(self, users: dict[tuple[int, Role], User], companies=None, **_):
        self.users, self.events = users, 0

    def __enter__(self) -> CommandWriter:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def add(self, order: PlannedOrder, index: int) -> Order:
        step = order.steps[index]
        actor = self.users[(order.company, actor_role(order, step.action))]
        if step.action == "place":
            result = commands.place_order(
                actor=actor, details=order.details, lines=order.lines, at=step.at
            )
            order.stream_id = result.id
        else:
            command = {"change": commands.change_order, "add_note": commands.add_note}.get(
                step.action, functools.partial(commands.transition, name=step.action)
            )
            result = command(
                order.stream_id, actor=actor, expected_version=order.version, at=step.at,
                **step.data,
            )  # fmt: skip
        order.version, order.state = result.version, result.state
        order.approved = order.approved or step.action == "approve"
        self.events += 1
        return result


# --- the fast path ---------------------------------------------------------------------------


class PlanError(Exception):
    """A plan asks for a step the commands would refuse."""


def fast_event(order: PlannedOrder, index: int, *, actor, company: Company) -> DomainEvent:
    """The event `orders.commands` would record for step `index` (the commands' own numbering,
    guards and target state decide); moves `order` on with `orders.aggregate.evolve`, as the
    projections will. `order.sequence` must be set before "place". Raises PlanError where a
    command would refuse."""
    step = order.steps[index]
    if step.action == "place":
        details, lines = clean_order(order.details, order.lines)
        event = OrderPlaced(
            number=commands.order_number(company, order.sequence),
            sequence=order.sequence,
            currency=company.currency,
            details=details,
            lines=lines,
        )
    else:
        try:
            commands.check_transition(order, step.action, actor)
        except OrderError as refused:
            raise PlanError(f"{step.action}: {refused}") from refused
        if step.action == "change":
            details, lines = clean_order(step.data["details"], step.data["lines"])
            event = OrderChanged(details=details, lines=lines)
        elif step.action == "add_note":
            event = NoteAdded(**clean_fields(step.data, ("text",)))
        else:
            spec = commands.workflow_transitions()[step.action]
            fields = clean_fields(step.data, spec["fields"])
            to_state = commands.target_state(order, step.action)
            if spec["record"] is not None:  # as `commands.transition`: the policy recorded
                event = spec["record"](order, to_state, actor, **fields)
            else:
                event = event_class(spec["event"])(
                    from_state=order.state, to_state=to_state, **fields
                )
    evolve(vars(order), Pending(order.version + 1, event))
    order.approved = order.approved or step.action == "approve"
    return event


class _PermissionCache:
    """`user.has_perm`, remembered: Django re-instantiates the auth backends on every call,
    which was a fifth of the fast path's time. Same answers, asked once per permission (and
    once more for "on an object": django-fsm asks that first, and the project's backends give
    no per-object permissions, so that answer does not depend on the object)."""

    def __init__(self, user: User):
        self.user, self.username, self.answers = user, user.username, {}

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj=None) -> bool:
        key = (perm, obj is not None)
        if key not in self.answers:
            self.answers[key] = self.user.has_perm(perm, obj)
        return self.answers[key]


class FastPathWriter:
    """Turns plan steps into events_event rows, chained to the log's head, and bulk-inserts them.

    Use as a context manager: rows are flushed every `chunk` events and on exit; meanwhile the
    connection commits without waiting for the disk (SQLite synchronous=OFF and a 1 GB page
    cache; PostgreSQL synchronous_commit=off).
    """

    def __init__(
        self,
        users: dict[tuple[int, Role], User],
        companies: list[Company],
        *,
        using: str = "default",
        chunk: int = ROW_CHUNK,
        seed: int = 0,
    ):
        self.users, self.companies, self.using, self.chunk = users, companies, using, chunk
        head = (
            Event.objects.using(using).order_by("-position").values_list("position", "hash").first()
        )
        self.position, self.prev_hash = head or (0, GENESIS)
        numbers = Event.objects.using(using).values_list("company_id").annotate(n=Max("number"))
        self.numbers = {company: n for company, n in numbers.order_by()}  # company -> its last
        last = dict(
            Order.objects.using(using)
            .values_list("company_id")
            .annotate(s=Max("sequence"))
            .values_list("company_id", "s")
        )
        self.next_sequence = {c.pk: (last.get(c.pk) or 0) + 1 for c in companies}
        self.metadata = {key: event_metadata(user) for key, user in users.items()}
        self.actors = {key: _PermissionCache(user) for key, user in users.items()}
        self.ids = random.Random(f"{seed}:event-ids:{self.position}")
        self.rows: list[tuple] = []
        self.events = 0

    def __enter__(self) -> FastPathWriter:
        self._bulk_load(True)
        self._keys = keystore.keys_cached()  # each order's key made once, as append does
        self._keys.__enter__()
        self._chunk = None  # the transaction of the chunk being written (its keys, its rows)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.flush()
            elif self._chunk is not None:
                self._chunk.__exit__(exc_type, exc, tb)
        finally:
            self._keys.__exit__(exc_type, exc, tb)
            self._bulk_load(False)

    def _bulk_load(self, on: bool) -> None:
        connection = connections[self.using]
        if connection.in_atomic_block:
            return  # inside a caller's transaction (a test's): SQLite refuses to change them
        if connection.vendor == "postgresql":
            statements = ["SET synchronous_commit = off" if on else "RESET synchronous_commit"]
        else:
            statements = [f"PRAGMA synchronous={'OFF' if on else 'NORMAL'}"]
            statements.append(f"PRAGMA cache_size={-1048576 if on else -65536}")
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def add(self, order: PlannedOrder, index: int) -> None:
        if self._chunk is None:  # the keys sealing this chunk commit with its rows
            self._chunk = transaction.atomic(using=self.using)
            self._chunk.__enter__()
        company = self.companies[order.company]
        key = (order.company, actor_role(order, order.steps[index].action))
        if index == 0:
            order.sequence = self.next_sequence[company.pk]
            self.next_sequence[company.pk] += 1
        event = fast_event(order, index, actor=self.actors[key], company=company)
        self.rows.append(self.row(order, event, self.metadata[key], company, order.steps[index].at))
        if len(self.rows) >= self.chunk:
            self.flush()

    def row(self, order, event, metadata, company, occurred_at) -> tuple:
        """One events_event row, hashed onto the chain, each column as its Django field saves it."""
        self.position += 1
        self.numbers[company.pk] = number = self.numbers.get(company.pk, 0) + 1
        payload = sealing.seal_payload(
            event, event.to_payload(), company_id=company.pk, stream_type=STREAM_TYPE,
            stream_id=order.stream_id,
        )  # fmt: skip
        values = {
            "position": self.position,
            "stream_type": STREAM_TYPE,
            "stream_id": order.stream_id,
            "version": order.version,
            "event_type": event.event_type,
            "schema_version": event.schema_version,
            "payload": payload,
            "metadata": metadata,
            "company_id": company.pk,
            "occurred_at": occurred_at,
            "recorded_at": timezone.now(),
            "prev_hash": self.prev_hash,
        }
        event_id = uuid.UUID(int=self.ids.getrandbits(128), version=4)
        values["hash"] = self.prev_hash = event_hash(event_id=event_id, **values)
        values["id"], values["number"] = event_id, number  # the number is not hashed
        connection = connections[self.using]
        return tuple(f.get_db_prep_save(values[f.attname], connection) for f in FIELDS)

    def flush(self) -> None:
        chunk, self._chunk = self._chunk, None
        if chunk is None:
            return
        try:
            with connections[self.using].cursor() as cursor:
                cursor.executemany(INSERT_EVENTS, self.rows)
        except BaseException as error:
            chunk.__exit__(type(error), error, error.__traceback__)
            raise
        chunk.__exit__(None, None, None)
        self.events += len(self.rows)
        self.rows = []


# --- seeding ---------------------------------------------------------------------------------


def company_spec(index: int) -> tuple[str, str, str]:
    if index < len(COMPANIES):
        return COMPANIES[index]
    return f"Company {index + 1}", f"co{index + 1}", "EUR"


def create_companies_and_users(
    count: int, *, using: str = "default"
) -> tuple[list[Company], dict[tuple[int, Role], User]]:
    """`count` companies with one user per role each (`<slug>.<role>`, the demo password)."""
    password = make_password(DEMO_PASSWORD)  # one PBKDF2 run shared by every bench user
    groups = {role: Group.objects.using(using).get(name=role.value) for role in Role}
    companies, users = [], {}
    with transaction.atomic(using=using):
        for index in range(count):
            name, slug, currency = company_spec(index)
            company = Company.objects.using(using).create(name=name, slug=slug, currency=currency)
            companies.append(company)
            for role in Role:
                users[(index, role)] = User(
                    username=f"{slug}.{role.value.lower()}",
                    company=company,
                    first_name=role.value,
                    last_name=name,
                    password=password,
                )
        User.objects.using(using).bulk_create(users.values())
        User.groups.through.objects.using(using).bulk_create(
            User.groups.through(user_id=user.pk, group_id=groups[role].pk)
            for (_, role), user in users.items()
        )
    return companies, users


def seed(
    *,
    companies: int,
    orders: int,
    command_orders: int,
    days: int = 90,
    notes_per_order: float = DEFAULT_NOTES_PER_ORDER,
    seed: int = 2026,
    using: str = "default",
    log: Callable[[str], None] = print,
) -> dict:
    """Fill an empty database (migrated here) with `orders` orders, `command_orders` of them
    through the commands; then compare the fast path with them. Returns the figures."""
    now = timezone.now().replace(microsecond=0)
    call_command("migrate", database=using, verbosity=0, interactive=False)
    company_rows, users = create_companies_and_users(companies, using=using)
    command_orders = min(command_orders, orders)
    log(f"seed: {companies} companies, {len(users)} users; {command_orders} orders via commands")
    figures, specs = {"command_orders": command_orders}, {}
    for label, count, writer, figure in (
        ("commands", command_orders, CommandWriter, "command_seed_events_per_s"),
        ("fast", orders - command_orders, FastPathWriter, "fast_path_events_per_s"),
    ):
        started = last_report = time.perf_counter()
        specs[label] = order_specs(count, companies, now=now, days=days, seed=seed, label=label)
        with writer(users, company_rows, using=using, seed=seed) as writing:
            for order, index in timeline(specs[label], now=now, notes_per_order=notes_per_order):
                writing.add(order, index)
                if time.perf_counter() - last_report > 15:
                    last_report = time.perf_counter()
                    log(f"seed: {label} {writing.events:,} events so far")
        seconds = time.perf_counter() - started
        figures[figure] = round(writing.events / max(seconds, 1e-9), 1)
        log(f"seed: {label} wrote {writing.events:,} events in {seconds:.1f}s "
            f"({figures[figure]:,.0f} events/s)")  # fmt: skip
    check = compare_with_commands(
        companies=company_rows, users=users, specs=specs["commands"], now=now,
        notes_per_order=notes_per_order, using=using,
    )  # fmt: skip
    log(f"seed: fast path vs commands: {check['events_compared']:,} events compared, "
        f"{check['differences']} difference(s)")  # fmt: skip
    return {**figures, "fast_path_check": check}


# --- checking the fast path against the commands ---------------------------------------------


def comparable(event_type: str, schema_version: int, payload: dict, metadata: dict) -> tuple:
    """What must agree between a command's event and the fast path's for the same step: all but
    the per-run values (ids, positions, hashes, `recorded_at`); the metadata keys, the actor's
    id and name and the correlation id."""
    actor = (metadata.get(key) for key in ("actor_id", "actor_username", "correlation_id"))
    return event_type, schema_version, json.loads(json.dumps(payload)), sorted(metadata), *actor


def compare_with_commands(
    *,
    companies: list[Company],
    users: dict[tuple[int, Role], User],
    specs: list[OrderSpec],
    now: dt.datetime,
    notes_per_order: float = DEFAULT_NOTES_PER_ORDER,
    using: str = "default",
    limit: int = 10,
) -> dict:
    """Re-plan orders already written by the commands; compare fast-path events with the log.

    The plans are matched to the logged orders by company and sequence number, which the
    commands gave out in time order. Returns counts and the first differences.
    """
    ids = Order.objects.using(using).values_list("company_id", "sequence", "id")
    logged = {(company_id, sequence): stream_id for company_id, sequence, stream_id in ids}
    sequences, differences, checked = collections.Counter(), [], 0
    for order, first in timeline(specs, now=now, notes_per_order=notes_per_order):
        if first != 0:
            continue  # each order once, in the order the commands placed (and numbered) them
        company = companies[order.company]
        sequences[company.pk] += 1
        order.sequence = sequences[company.pk]
        order.stream_id = logged.get((company.pk, order.sequence))
        where = f"{company.slug} #{order.sequence}"
        stored = list(
            Event.objects.using(using).filter(stream_id=order.stream_id).order_by("version")
            .values_list("event_type", "schema_version", "payload", "metadata")
        )  # fmt: skip
        if len(stored) != len(order.steps):
            differences.append(f"{where}: {len(stored)} events logged, {len(order.steps)} planned")
            continue
        for index, (event_type, schema_version, payload, metadata) in enumerate(stored):
            actor = users[(order.company, actor_role(order, order.steps[index].action))]
            event = fast_event(order, index, actor=actor, company=company)
            fast = comparable(
                event.event_type, event.schema_version, event.to_payload(), event_metadata(actor)
            )
            payload = sealing.open_payload(
                payload, company_id=company.pk, stream_id=order.stream_id
            )
            logged_event = comparable(event_type, schema_version, payload, metadata)
            checked += 1
            if fast != logged_event:
                differences.append(f"{where} v{index + 1}: fast={fast!r} logged={logged_event!r}")
    return {
        "orders": sum(sequences.values()),
        "events_compared": checked,
        "differences": len(differences),
        "first_differences": differences[:limit],
    }
