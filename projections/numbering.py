"""Each event's number within its company's log: the `EventNumber` projection and its lookup."""

from __future__ import annotations

from events.store import RecordedEvent

from .models import EventNumber
from .registry import Projection, register
from .rows import insert_numbered, number_from_log


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
    numbers the whole log in SQL (`build_from_log`), and inline each event gets one more
    than its company's highest number."""

    name = "event_number"
    stream_local = False
    models = (EventNumber,)

    def relevant(self, events):
        return events  # every type, including ones registered after this projection

    def build_from_log(self, log_table: str, up_to: int, using: str) -> bool:
        # A rebuild numbers the whole log in one statement (ROW_NUMBER() by company).
        number_from_log(EventNumber, using, log_table, up_to=up_to, within="company_id")
        return True

    def apply(self, events: list[RecordedEvent], using: str) -> None:
        # Numbered by the database: one more than the company's highest number so far.
        insert_numbered(
            EventNumber,
            using,
            [{"position": e.position, "company_id": e.company_id} for e in events],
            number="number",
            within="company_id",
        )
