"""What the order exports write: one (header, field, cell) table per CSV, and its rows.

The list's CSV (`?format=csv` on /orders/) and an order's history CSV; both are streamed by
`common.csv_export.csv_response`.
"""

from __future__ import annotations

from django.db.models.fields.json import KT

from common.csv_export import Column, cells, iso
from common.money import from_cents
from events.models import Event
from projections.models import OrderSummary

from .history import HistoryEntry
from .selectors import STATE_LABELS


def _state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


ORDER_CSV = (
    Column("number", "number"),
    Column("customer", "customer_name"),
    Column("state", "state", _state_label),
    Column("lines", "line_count"),
    Column("total", "total_cents", from_cents),
    Column("currency", "currency"),
    Column("placed_at", "placed_at", iso),
    Column("last_changed_at", "last_changed_at", iso),
    Column("last_actor", "last_actor"),
    Column("state_since", "state_since", iso),
    Column("customer_reference", "customer_reference"),
    Column("customer_email", "customer_email"),
    Column("old_reference", "old_reference"),  # an imported order's reference in the old system
)


def order_csv_rows(summaries, *, chunk_size: int = 2000):
    """The rows of the filtered, sorted list `summaries` (an `order_summaries` queryset after
    the filters), all pages, cells as `ORDER_CSV` says: total in major units with two
    decimals, times ISO 8601 (UTC), state as its label.

    The ids are read first, in the list's order (one query: the set and order are the list's
    at that moment), then the rows by id in chunks: no cursor stays open between chunks, so an
    abandoned download holds nothing."""
    fields = [column.field for column in ORDER_CSV if column.field != "old_reference"]
    ids = list(summaries.values_list("id", flat=True))
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        found = {
            row["id"]: row
            for row in OrderSummary.objects.filter(pk__in=chunk).values("id", *fields)
        }
        old = old_references(chunk)
        for order_id, row in found.items():
            row["old_reference"] = old.get(order_id, "")
        for order_id in chunk:
            if order_id in found:
                yield cells(ORDER_CSV, found[order_id])


def old_references(order_ids) -> dict:
    """order id -> the old system's reference, for those of `order_ids` that were imported (one
    query on their `OrderPlaced` events; `KT` reads the JSON text as text, as the importer does)."""
    placed = Event.objects.filter(
        stream_id__in=list(order_ids), event_type="OrderPlaced", metadata__has_key="imported_from"
    )
    return dict(
        placed.annotate(reference=KT("metadata__imported_from__reference")).values_list(
            "stream_id", "reference"
        )
    )


HISTORY_CSV = (
    Column("number", "number"),
    Column("position", "position"),
    Column("version", "version"),
    Column("occurred_at", "occurred_at", iso),
    Column("recorded_at", "recorded_at", iso),
    Column("actor", "actor"),
    Column("original_actor", "original_actor"),  # imported: who did it in the old system
    Column("event_type", "event_type"),
    Column("from_state", "from_state"),
    Column("to_state", "to_state"),
    Column("reason", "reason"),
    Column("carrier", "carrier"),
    Column("tracking_number", "tracking_number"),
    Column("summary", "described"),
    Column("request_id", "request_id"),
)


def history_csv_rows(entries: list[HistoryEntry]):
    """One row per history entry, cells as `HISTORY_CSV` says."""
    for entry in entries:
        yield cells(HISTORY_CSV, entry)
