"""The audit log's queries: a company's events, newest first, keyset-paginated by position."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from django.utils import timezone

from accounts.models import User
from common.request_context import recorded_request_id
from events import registry, verification
from events.exceptions import UnknownEventType
from events.models import Event, IntegrityCheck
from orders.events import changed_fields
from orders.models import Order
from projections.models import EventNumber
from projections.numbering import event_numbers

PAGE_SIZE = 50
# What a page row shows (not the hashes: the CSV export has those). The payload gives the
# details column.
AUDIT_PAGE_COLUMNS = (
    "position",
    "occurred_at",
    "recorded_at",  # shown beside occurred_at when they differ (a back-dated event)
    "event_type",
    "schema_version",
    "payload",
    "stream_id",
    "version",
    "metadata",
)
# Events whose details and lines the next `OrderChanged` is compared with.
_DETAILS_EVENTS = ("OrderPlaced", "OrderChanged")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filtered_events(company_id, data: dict):
    """The company's events matching the filters, newest first (not yet paginated)."""
    qs = Event.objects.filter(company_id=company_id)
    if data.get("event_type"):
        qs = qs.filter(event_type=data["event_type"])
    if data.get("actor"):  # part of a username: "manager" finds "acme.manager"
        qs = qs.filter(metadata__actor_username__icontains=data["actor"].strip())
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
    numbers = EventNumber.objects.filter(company_id=company_id)
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
    _attach_event_numbers(company_id, rows)
    page = AuditPage(
        rows,
        rows[-1].number if has_older else None,
        rows[0].number if has_newer and rows else None,
    )
    _attach_order_numbers(company_id, page.events)
    _attach_details(company_id, page.events)
    return page


def _attach_details(company_id, events: list[Event]) -> None:
    """`label` and `details` ((name, value) pairs) on each event; an `OrderChanged` also says
    which fields it changed, compared with the stream's previous details (one query)."""
    changes = [e for e in events if e.event_type == "OrderChanged"]
    earlier: dict = {}
    if changes:
        rows = Event.objects.filter(
            company_id=company_id,
            stream_id__in={e.stream_id for e in changes},
            event_type__in=_DETAILS_EVENTS,
            version__lt=max(e.version for e in changes),
        ).only("stream_id", "version", "event_type", "schema_version", "payload")
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
    if event.event_type == "OrderChanged":
        before = [row for row in earlier if row.version < event.version]
        if before:
            previous = _decode(max(before, key=lambda row: row.version))
            changed = changed_fields(previous, data)
            details.insert(0, ("Changed", ", ".join(changed) or "nothing"))
    return details


def _decode(event: Event):
    return registry.deserialize(event.event_type, event.schema_version, event.payload)


def summary(event: Event) -> str:
    """The event in one line of words: its label and its details, for the CSV."""
    parts = [f"{name}: {value}" for name, value in event.details]
    return " — ".join([event.label, "; ".join(parts)]) if parts else event.label


def _attach_event_numbers(company_id, events: list[Event]) -> None:
    """`number`: each event's number in its company's log (`EventNumber`)."""
    numbers = event_numbers(company_id, [e.position for e in events])
    for event in events:
        event.number = numbers.get(event.position)


def _attach_order_numbers(company_id, events: list[Event]) -> None:
    numbers = dict(
        Order.objects.filter(
            company_id=company_id, pk__in={e.stream_id for e in events}
        ).values_list("id", "number")
    )
    for event in events:
        event.order_number = numbers.get(event.stream_id, "")
        # Access events (accounts/events.py) name their user or company in the payload.
        event.subject = event.payload.get("username") or event.payload.get("name", "")


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


AUDIT_CSV_HEADER = [
    "number",
    "position",
    "occurred_at",
    "recorded_at",
    "event_type",
    "stream_id",
    "version",
    "actor",
    "request_id",
    "summary",
    "payload",
    "hash",
]


def audit_csv_rows(company_id, data: dict, *, chunk: int = 2000):
    """Every matching event (cells as in AUDIT_CSV_HEADER), streamed in keyset chunks.

    `number` is the event's number in the company's log (what the page shows); `position` is
    the global one the chain hashes, kept so the file matches the log and the witness."""
    before = None
    while True:
        qs = filtered_events(company_id, data)
        if before is not None:
            qs = qs.filter(position__lt=before)
        rows = list(qs[:chunk])
        _attach_details(company_id, rows)
        _attach_event_numbers(company_id, rows)
        for e in rows:
            yield [
                e.number,
                e.position,
                e.occurred_at,  # written by the file's dialect (common.csv_export)
                e.recorded_at,
                e.event_type,
                e.stream_id,
                e.version,
                e.metadata.get("actor_username", ""),
                recorded_request_id(e.metadata),
                summary(e),
                json.dumps(e.payload, sort_keys=True, ensure_ascii=False),
                e.hash,
            ]
        if len(rows) < chunk:
            return
        before = rows[-1].position
