"""The audit log's queries: a company's events, newest first, keyset-paginated by position."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from django.utils import timezone

from accounts.request_context import recorded_request_id
from orders.models import Order

from .models import Event, IntegrityCheck

PAGE_SIZE = 50
# What a page row shows (not the payload, nor the hashes: the CSV export has those).
AUDIT_PAGE_COLUMNS = ("position", "occurred_at", "event_type", "stream_id", "version", "metadata")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filtered_events(company_id, data: dict):
    """The company's events matching the filters, newest first (not yet paginated)."""
    qs = Event.objects.filter(company_id=company_id)
    if data.get("event_type"):
        qs = qs.filter(event_type=data["event_type"])
    if data.get("actor"):
        qs = qs.filter(metadata__actor_username=data["actor"].strip())
    if data.get("order"):
        stream = Order.objects.filter(
            company_id=company_id, number__iexact=data["order"].strip()
        ).values("id")
        qs = qs.filter(stream_id__in=stream)
    if data.get("occurred_after"):
        qs = qs.filter(occurred_at__gte=_day_start(data["occurred_after"]))
    if data.get("occurred_before"):
        qs = qs.filter(occurred_at__lt=_day_start(data["occurred_before"] + dt.timedelta(days=1)))
    return qs.order_by("-position")


@dataclasses.dataclass
class AuditPage:
    events: list[Event]
    next_before: int | None

    @property
    def event_ids(self) -> list:
        """The ids of the page's events: events never change, so they key its rows' markup."""
        return [event.id for event in self.events]


def audit_page(company_id, data: dict, *, size: int = PAGE_SIZE) -> AuditPage:
    """One page of events before position `data['before']` (keyset: fast at any depth)."""
    qs = filtered_events(company_id, data).only(*AUDIT_PAGE_COLUMNS)
    if data.get("before"):
        qs = qs.filter(position__lt=data["before"])
    rows = list(qs[: size + 1])
    page = AuditPage(rows[:size], rows[size - 1].position if len(rows) > size else None)
    _attach_order_numbers(company_id, page.events)
    return page


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


def last_integrity_check() -> IntegrityCheck | None:
    return IntegrityCheck.objects.order_by("-checked_at").first()


AUDIT_CSV_HEADER = [
    "position",
    "occurred_at",
    "recorded_at",
    "event_type",
    "stream_id",
    "version",
    "actor",
    "request_id",
    "payload",
    "hash",
]


def audit_csv_rows(company_id, data: dict, *, chunk: int = 2000):
    """Every matching event (cells as in AUDIT_CSV_HEADER), streamed in keyset chunks."""
    before = None
    while True:
        qs = filtered_events(company_id, data)
        if before is not None:
            qs = qs.filter(position__lt=before)
        rows = list(qs[:chunk])
        for e in rows:
            yield [
                e.position,
                e.occurred_at.isoformat(),
                e.recorded_at.isoformat(),
                e.event_type,
                e.stream_id,
                e.version,
                e.metadata.get("actor_username", ""),
                recorded_request_id(e.metadata),
                json.dumps(e.payload, sort_keys=True, ensure_ascii=False),
                e.hash,
            ]
        if len(rows) < chunk:
            return
        before = rows[-1].position
