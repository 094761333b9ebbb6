"""What happened to orders: past-tense, immutable facts. No behaviour lives here."""

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
    number: str
    sequence: int
    currency: str
    details: OrderDetails
    lines: tuple[Line, ...]


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderChanged(DomainEvent):
    """A draft's details and lines were replaced as a whole."""

    details: OrderDetails
    lines: tuple[Line, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class StateChanged(DomainEvent):
    """Base of the transition events: every one records where it left from and went to."""

    from_state: str
    to_state: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderSubmitted(StateChanged):
    pass


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderApproved(StateChanged):
    pass


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderRejected(StateChanged):
    reason: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderFulfilmentStarted(StateChanged):
    pass


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderShipped(StateChanged):
    """Schema 2 renamed `tracking` to `tracking_number` (see the upcaster below)."""

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
    pass


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderHeld(StateChanged):
    reason: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderResumed(StateChanged):
    pass


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderCancelled(StateChanged):
    reason: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class NoteAdded(DomainEvent):
    text: str


def lines_total(lines) -> Decimal:
    return sum((line.total for line in lines), Decimal("0.00"))
