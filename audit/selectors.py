"""The audit log's queries: a company's events, newest first, keyset-paginated by position."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.events import SIGN_IN_STREAM
from accounts.models import ApiKey, User
from common.csv_export import Column, cells, iso
from common.request_context import recorded_request_id
from common.typed_input import search_key
from events import keystore, registry, verification
from events.exceptions import UnknownEventType
from events.models import Event, IntegrityCheck
from orders.events import contents_diff
from orders.models import Order

from .controls import ACCESS

PAGE_SIZE = 50
# What a page row shows (not the hashes: the CSV export has those). The payload gives the
# details column.
AUDIT_PAGE_COLUMNS = (
    "position",
    "number",  # the event's number in its company's log: shown, and the page cursors
    "occurred_at",
    "recorded_at",  # shown beside occurred_at when they differ (a back-dated event)
    "event_type",
    "schema_version",
    "payload",
    "stream_id",
    "version",
    "metadata",
)
# Events that set an order's details and lines; a change or amendment is compared with the one
# before it.
_DETAILS_EVENTS = ("OrderPlaced", "OrderChanged", "OrderAmended")
_CHANGE_EVENTS = ("OrderChanged", "OrderAmended")


# The audit form's `area` choices: which events each names.
_AREAS = {
    "orders": lambda: Q(stream_type="order"),
    "access": lambda: Q(event_type__in=ACCESS),
    "sign_ins": lambda: Q(stream_type=SIGN_IN_STREAM),
}


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filtered_events(company_id, data: dict):
    """The company's events matching the filters, newest first (not yet paginated)."""
    qs = Event.objects.filter(company_id=company_id)
    if data.get("event_type"):
        qs = qs.filter(event_type=data["event_type"])
    if data.get("area"):
        qs = qs.filter(_AREAS[data["area"]]())
    if data.get("actor"):  # part of a username: "manager" finds "acme.manager"
        actor = data["actor"].strip()
        qs = qs.filter(  # a failed sign-in has no actor: the username tried is its subject
            Q(metadata__actor_username__in=actors_matching(company_id, actor))
            | Q(metadata__actor_username__icontains=actor)
            | Q(stream_type=SIGN_IN_STREAM, payload__username__icontains=actor)
        )
    if data.get("order"):  # part of an order number: "304" finds "ACME-000304"
        stream = Order.objects.filter(
            company_id=company_id, number__icontains=data["order"].strip()
        ).values("id")
        qs = qs.filter(stream_id__in=stream)
    if data.get("occurred_after"):
        qs = qs.filter(occurred_at__gte=_day_start(data["occurred_after"]))
    if data.get("occurred_before"):
        qs = qs.filter(occurred_at__lt=_day_start(data["occurred_before"] + dt.timedelta(days=1)))
    return qs.order_by("-position")


def actors_matching(company_id, text: str) -> list[str]:
    """The company's actor names (its users' usernames, its API keys' "<name> (API key)", and
    "system") that contain `text` in any case and Unicode form (`search_key`): SQLite's LIKE
    folds ASCII only (issue #24 §17). A company has hundreds of names at most; the caller also
    keeps a plain `icontains` for names no longer held (a renamed key)."""
    wanted = search_key(text)
    names = {"system"}
    names.update(User.objects.filter(company_id=company_id).values_list("username", flat=True))
    names.update(key.display_name for key in ApiKey.objects.filter(company_id=company_id))
    return sorted(name for name in names if wanted in search_key(name))


@dataclasses.dataclass
class AuditPage:
    """Events newest first, each with its company `number`; `older_before` / `newer_after` are
    the cursors (company numbers) of the pages on either side, None where there is none."""

    events: list[Event]
    older_before: int | None
    newer_after: int | None

    @property
    def event_ids(self) -> list:
        """The ids and numbers of the page's events: neither ever changes once given, so they
        key its rows' markup."""
        return [(event.id, event.number) for event in self.events]


def audit_page(company_id, data: dict, *, size: int = PAGE_SIZE) -> AuditPage:
    """One page of matching events, newest first: those before company number
    `data['before']`, or the `size` after number `data['after']` (keyset both ways on the
    position the number stands for: fast at any depth)."""
    matching = filtered_events(company_id, data)
    qs = matching.only(*AUDIT_PAGE_COLUMNS)
    numbers = Event.objects.filter(company_id=company_id)
    if data.get("after") is not None:
        # Past the event numbered `after` (or the last one below it).
        last = numbers.filter(number__lte=data["after"]).order_by("-number")
        last_position = last.values_list("position", flat=True).first() or 0
        rows = list(qs.filter(position__gt=last_position).order_by("position")[: size + 1])
        has_newer, rows = len(rows) > size, rows[:size][::-1]
        has_older = bool(rows) and matching.filter(position__lt=rows[-1].position).exists()
    else:
        if data.get("before"):
            # Before the event numbered `before` (or the first one above it; none: all).
            first = numbers.filter(number__gte=data["before"]).order_by("number")
            first_position = first.values_list("position", flat=True).first()
            if first_position is not None:
                qs = qs.filter(position__lt=first_position)
        rows = list(qs[: size + 1])
        has_older, rows = len(rows) > size, rows[:size]
        has_newer = (  # on the newest page nothing is newer
            bool(data.get("before") and rows)
            and matching.filter(position__gt=rows[0].position).exists()
        )
    page = AuditPage(
        rows,
        rows[-1].number if has_older else None,
        rows[0].number if has_newer and rows else None,
    )
    with keystore.keys_cached():  # a stream's events share a key: read it once per page
        _attach_order_numbers(company_id, page.events)
        _attach_details(company_id, page.events)
    return page


def _attach_details(company_id, events: list[Event]) -> None:
    """`label` and `details` ((name, value) pairs) on each event; a change or amendment also
    says what it changed, field by field and line by line (`orders.events.contents_diff`, as
    the order's history says it), compared with the stream's previous contents (one query)."""
    changes = [e for e in events if e.event_type in _CHANGE_EVENTS]
    earlier: dict = {}
    if changes:
        rows = Event.objects.filter(
            company_id=company_id,
            stream_id__in={e.stream_id for e in changes},
            event_type__in=_DETAILS_EVENTS,
            version__lt=max(e.version for e in changes),
        ).only("stream_id", "version", "event_type", "schema_version", "payload", "company_id")
        for row in rows:
            earlier.setdefault(row.stream_id, []).append(row)
    for event in events:
        event.label = registry.label_of(event.event_type)
        event.details = _details(event, earlier.get(event.stream_id, ()))


def _details(event: Event, earlier) -> list[tuple[str, str]]:
    try:
        data = _decode(event)
    except UnknownEventType:
        return []
    details = data.details_shown()
    if event.event_type in _CHANGE_EVENTS:
        before = [row for row in earlier if row.version < event.version]
        if before:
            previous = _decode(max(before, key=lambda row: row.version))
            changed = contents_diff(previous, data)
            details.insert(0, (gettext("Changed"), "; ".join(changed) or gettext("nothing")))
    return details


def _decode(event: Event):
    return event.decoded()


def summary(event: Event) -> str:
    """The event in one line of words: its label and its details, for the CSV."""
    parts = [f"{name}: {value}" for name, value in event.details]
    return " — ".join([event.label, "; ".join(parts)]) if parts else event.label


def _attach_order_numbers(company_id, events: list[Event]) -> None:
    numbers = dict(
        Order.objects.filter(
            company_id=company_id, pk__in={e.stream_id for e in events}
        ).values_list("id", "number")
    )
    for event in events:
        event.order_number = numbers.get(event.stream_id, "")
        # Access events (accounts/events.py) name their user or company in the payload; a
        # customer's name is sealed (events/sealing.py): opened, or "[erased]".
        payload = event.opened_payload()
        event.subject = payload.get("username") or payload.get("name", "")


def company_usernames(company_id) -> list[str]:
    """The company's usernames, sorted: the actor filter's pick-list."""
    return list(
        User.objects.filter(company_id=company_id)
        .order_by("username")
        .values_list("username", flat=True)
    )


def last_integrity_check() -> IntegrityCheck | None:
    """The newest verification record as the page shows it (`verification.last_check`)."""
    return verification.last_check()


def _json(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False)


# The CSV's columns (`common.csv_export.Column`: header, field, cell). `summary` and `number`
# are attached to each event by `audit_csv_rows`.
AUDIT_CSV = (
    Column("number", "number"),
    Column("position", "position"),
    Column("occurred_at", "occurred_at", iso),
    Column("recorded_at", "recorded_at", iso),
    Column("event_type", "event_type"),
    Column("stream_id", "stream_id"),
    Column("version", "version"),
    Column("actor", "metadata", lambda metadata: metadata.get("actor_username", "")),
    Column("request_id", "metadata", recorded_request_id),
    Column("summary", "in_words"),
    Column("payload", "opened", _json),
    Column("hash", "hash"),
)


def audit_csv_rows(company_id, data: dict, *, chunk: int = 2000):
    """Every matching event (cells as `AUDIT_CSV` says), streamed in keyset chunks.

    `number` is the event's number in the company's log (what the page shows); `position` is
    the global one the chain hashes, kept so the file matches the log and the witness."""
    before = None
    while True:
        qs = filtered_events(company_id, data)
        if before is not None:
            qs = qs.filter(position__lt=before)
        rows = list(qs[:chunk])
        with keystore.keys_cached():
            _attach_details(company_id, rows)
            payloads = [e.opened_payload() for e in rows]
        for event, payload in zip(rows, payloads, strict=True):
            event.in_words = summary(event)
            event.opened = payload
            yield cells(AUDIT_CSV, event)
        if len(rows) < chunk:
            return
        before = rows[-1].position
