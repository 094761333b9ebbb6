"""What happened to orders: past-tense, immutable facts. No behaviour lives here beyond each
event's label and the details it shows in the event log."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from events.registry import DomainEvent, register, upcaster


@dataclasses.dataclass(frozen=True, kw_only=True)
class Line:
    sku: str
    description: str
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.quantity * self.unit_price


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderDetails:
    customer_name: str
    customer_reference: str = ""
    customer_email: str = ""
    shipping_address: str = ""
    notes: str = ""


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderPlaced(DomainEvent):
    label = "Order placed"
    number: str
    sequence: int
    currency: str
    details: OrderDetails
    lines: tuple[Line, ...]

    def details_shown(self) -> list[tuple[str, str]]:
        return _customer_and_lines(self.details, self.lines, self.currency)


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderChanged(DomainEvent):
    """A draft's details and lines were replaced as a whole."""

    label = "Details and lines changed"
    details: OrderDetails
    lines: tuple[Line, ...]

    def details_shown(self) -> list[tuple[str, str]]:
        return _customer_and_lines(self.details, self.lines)


@dataclasses.dataclass(frozen=True, kw_only=True)
class StateChanged(DomainEvent):
    """Base of the transition events: every one records where it left from and went to."""

    from_state: str
    to_state: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderSubmitted(StateChanged):
    label = "Submitted for approval"


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderApproved(StateChanged):
    label = "Approved"


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderRejected(StateChanged):
    label = "Rejected"
    reason: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderFulfilmentStarted(StateChanged):
    label = "Fulfilment started"


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderShipped(StateChanged):
    """Schema 2 renamed `tracking` to `tracking_number` (see the upcaster below)."""

    label = "Shipped"
    schema_version = 2
    carrier: str
    tracking_number: str


@upcaster("OrderShipped", from_version=1)
def _shipped_v1_to_v2(payload: dict) -> dict:
    payload["tracking_number"] = payload.pop("tracking")
    return payload


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderDelivered(StateChanged):
    label = "Delivered"


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderHeld(StateChanged):
    label = "Put on hold"
    reason: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderResumed(StateChanged):
    label = "Resumed"


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderCancelled(StateChanged):
    label = "Cancelled"
    reason: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class NoteAdded(DomainEvent):
    label = "Note added"
    text: str

    def details_shown(self) -> list[tuple[str, str]]:
        return [("Note", self.text)]


def _customer_and_lines(details: OrderDetails, lines, currency: str = "") -> list:
    total = f"{lines_total(lines)} {currency}".strip()
    return [("Customer", details.customer_name), ("Lines", str(len(lines))), ("Total", total)]


# What `changed_fields` calls each part of an order, in the order the form shows them.
CHANGEABLE_FIELDS = {
    "customer_name": "customer name",
    "customer_reference": "reference",
    "customer_email": "email",
    "shipping_address": "shipping address",
    "notes": "notes",
}


def changed_fields(before: OrderPlaced | OrderChanged, after: OrderChanged) -> list[str]:
    """What `after` changed compared with the order's previous details and lines (`before`):
    names in words, e.g. `["shipping address", "lines"]`."""
    changed = [
        words
        for name, words in CHANGEABLE_FIELDS.items()
        if getattr(before.details, name) != getattr(after.details, name)
    ]
    if tuple(before.lines) != tuple(after.lines):
        changed.append("lines")
    return changed


def lines_total(lines) -> Decimal:
    return sum((line.total for line in lines), Decimal("0.00"))
