"""The customer and SKU projections: `Customer` and `Sku`, one row per stream.

Pure functions of the events in log order plus the rows they already have (no clock, no
lookups elsewhere), the same code inline and in a rebuild: a rebuild is identical. One
exception, by design: an `ErasureRecorded` (events.erasure) makes the customer rows it names
read their latest details again from the log, now that their keys are destroyed ("[erased]");
a rebuild reads them the same way.
"""

from __future__ import annotations

from common.typed_input import search_key
from events.store import RecordedEvent
from projections.registry import (
    Projection,
    contents_before_erasure,
    continued_streams,
    register,
)
from projections.rows import rows_for

from .events import (
    CUSTOMER_EVENTS,
    SKU_EVENTS,
    CustomerContents,
    CustomerDeactivated,
    SkuContents,
    SkuDeactivated,
)
from .models import Customer, Sku


def cents_or_none(amount) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


def customer_columns(data: CustomerContents) -> dict:
    """The columns a customer's details give its row (the keys the commands match on too)."""
    return {
        "name": data.name,
        "reference": data.reference,
        "email": data.email,
        "billing_address": data.billing_address,
        "shipping_address": data.shipping_address,
        "notes": data.notes,
        "reference_key": search_key(data.reference),
        "email_key": search_key(data.email),
        "name_key": search_key(data.name),
        "search_text": "\n".join(search_key(v) for v in (data.name, data.reference, data.email)),
    }


def sku_columns(data: SkuContents) -> dict:
    return {
        "code": data.code,
        "code_key": search_key(data.code),
        "description": data.description,
        "unit_price_cents": cents_or_none(data.unit_price),
        "search_text": "\n".join(search_key(v) for v in (data.code, data.description)),
    }


class _RecordProjection(Projection):
    """A row per stream: created by the first event, its contents replaced by a change, its
    `active` flag set by (de|re)activation; `version` and `changed_at` follow every event."""

    stream_local = True
    model = None
    columns = None
    deactivated = None

    def apply(self, events: list[RecordedEvent], using: str) -> None:
        events = self.relevant(events)
        if not events:
            return
        rows = rows_for(self.model, using).load_ids(
            continued_streams(e for e in events if e.event_type != ERASURE)
        )
        for event in events:
            if event.event_type == ERASURE:
                self._erase(rows, event)
                continue
            data = event.data
            if event.version == 1:
                row = {
                    "id": event.stream_id,
                    "company_id": event.company_id,
                    "active": True,
                    "created_at": event.occurred_at,
                }
                rows.put(row)
            else:
                row = rows.touch(event.stream_id)
            row["version"] = event.version
            row["changed_at"] = event.occurred_at
            if isinstance(data, self.contents):
                row.update(self.columns(data))
            else:
                row["active"] = not isinstance(data, self.deactivated)
        rows.save()

    def _erase(self, rows, event: RecordedEvent) -> None:
        """The erased records' contents, read again (`contents_before_erasure`)."""
        for stream_id, data in contents_before_erasure(rows, event, self.contents_types):
            rows.touch(stream_id).update(self.columns(data))


ERASURE = "ErasureRecorded"  # events.erasure: personal data erased (keys destroyed)


@register
class CustomerProjection(_RecordProjection):
    name = "customer"
    # Still stream-local with erasures: an erasure's rows read what the customer's own events
    # read after it, whichever of the two streams a rebuild replays first.
    handles = CUSTOMER_EVENTS | {ERASURE}
    contents_types = ("CustomerCreated", "CustomerChanged")
    models = (Customer,)
    model = Customer
    contents = CustomerContents
    deactivated = CustomerDeactivated
    columns = staticmethod(customer_columns)


@register
class SkuProjection(_RecordProjection):
    name = "sku"
    handles = SKU_EVENTS
    contents_types = ()
    models = (Sku,)
    model = Sku
    contents = SkuContents
    deactivated = SkuDeactivated
    columns = staticmethod(sku_columns)
