"""Erasure certificates: what an erasure erased, when, by whom and why, and the proof that
nothing else in the log changed (the hash chain around it, the witness, the last verification).
"""

from __future__ import annotations

import dataclasses
import uuid

from django.utils.translation import gettext, gettext_lazy

from customers.models import Customer
from events import verification, witness
from events.erasure import STREAM_TYPE
from events.models import Event, IntegrityCheck
from orders.events import PERSONAL_DETAILS
from orders.models import Order

# What the certificate calls each sealed field of an order (orders.events.PERSONAL_DETAILS).
ERASED_FIELDS = {
    "details.customer_name": gettext_lazy("name"),
    "details.customer_email": gettext_lazy("e-mail address"),
    "details.shipping_address": gettext_lazy("shipping address"),
    "details.notes": gettext_lazy("order notes"),
}


@dataclasses.dataclass
class Certificate:
    event: Event
    number: int | None
    data: object  # events.erasure.ErasureRecorded
    orders: list[tuple[str, str]]  # (order id, number)
    customers: list[tuple[str, str]]  # (customer id, reference)
    before_position: int
    before_hash: str
    before_matches: bool  # the event before it still has the hash this one chains from
    witnessed: bool  # the configured witness holds a checkpoint at or after the erasure
    check: IntegrityCheck | None  # the newest verify_events run
    fields: list[str]  # what was erased, in words

    @property
    def verified_after(self) -> bool:
        """A verification after the erasure passed: every event, the erasure's neighbours
        included, still has the hash the chain (and the witness) recorded."""
        return bool(
            self.check and self.check.ok and self.check.head_position >= self.event.position
        )


def erasures(company_id) -> list[Event]:
    """The company's erasure events, newest first."""
    return list(
        Event.objects.filter(company_id=company_id, stream_type=STREAM_TYPE).order_by("-position")
    )


def certificate(company_id, event_id) -> Certificate | None:
    """The certificate of the company's erasure `event_id`; None if there is no such erasure
    in the company (another company's is None too: a 404)."""
    try:
        event_id = uuid.UUID(str(event_id))
    except ValueError:
        return None
    event = Event.objects.filter(
        id=event_id, company_id=company_id, event_type="ErasureRecorded"
    ).first()
    if event is None:
        return None
    data = event.decoded()
    numbers = dict(
        Order.objects.filter(company_id=company_id, pk__in=list(data.streams)).values_list(
            "id", "number"
        )
    )
    references = dict(
        Customer.objects.filter(company_id=company_id, pk__in=list(data.streams)).values_list(
            "id", "reference"
        )
    )
    before = Event.objects.filter(position=event.position - 1).values_list("hash", flat=True)
    before_hash = before.first() or ""
    live = witness.load_configured()
    return Certificate(
        event=event,
        number=event.number,
        data=data,
        orders=[
            (stream, numbers[uuid.UUID(stream)])
            for stream in data.streams
            if uuid.UUID(stream) in numbers
        ],
        customers=[
            (stream, references[uuid.UUID(stream)])
            for stream in data.streams
            if uuid.UUID(stream) in references
        ],
        before_position=event.position - 1,
        before_hash=event.prev_hash,
        before_matches=event.position == 1 or before_hash == event.prev_hash,
        witnessed=live.head >= event.position,
        check=verification.last_check(),
        fields=[str(ERASED_FIELDS[path]) for path in PERSONAL_DETAILS] + [gettext("notes added")],
    )
