"""Each event's number within its company's log: the `EventNumber` projection and its lookup."""

from __future__ import annotations

from events.store import RecordedEvent

from .models import CompanyEventCount, EventNumber, key_uuid
from .registry import Projection, register
from .rows import rows_for


def event_numbers(company_id, positions: list[int]) -> dict[int, int]:
    """{position: company number} for the company's events among `positions`.

    Looked up by primary key, and the company checked on the rows: given `company_id = ?
    AND position IN (…)`, SQLite (no ANALYZE statistics) walks the company's whole
    (company, number) index instead: 14 ms instead of 0.1 ms for 20,000 events a company."""
    rows = EventNumber.objects.filter(position__in=positions)
    return {
        position: number
        for position, company, number in rows.values_list("position", "company_id", "number")
        if company == company_id
    }


@register
class EventNumberProjection(Projection):
    """`EventNumber`: every event of every type gets the next number of its company's log.

    Not stream-local: a number depends on how the company's streams interleave, so a rebuild
    replays this one in log order (`engine.build_aside`)."""

    name = "event_number"
    stream_local = False
    models = (EventNumber, CompanyEventCount)

    def relevant(self, events):
        return events  # every type, including ones registered after this projection

    def apply(self, events: list[RecordedEvent], using: str) -> None:
        if not events:
            return
        counts = rows_for(CompanyEventCount, using, key=_by_company)
        counts.load(company_id={e.company_id for e in events})
        numbers = rows_for(EventNumber, using, key=_by_position)
        for event in events:
            count = counts.get_or_add(event.company_id, _new_count)
            count["count"] += 1
            numbers.put(
                {
                    "position": event.position,
                    "company_id": event.company_id,
                    "number": count["count"],
                }
            )
        counts.save()
        numbers.save()


def _by_position(row: dict):
    return row["position"]


def _new_count(company_id) -> dict:
    return {"id": key_uuid("event-count", company_id), "company_id": company_id, "count": 0}


def _by_company(row: dict):
    return row["company_id"]
