"""What happened to a company's customers and SKUs: past-tense facts on their own streams.

A customer's stream (stream_type "customer") and a SKU's (stream_type "sku") belong to one
company; their ids are opaque UUIDs (never a name, e-mail or code). Every event carries the id
of the record it is about (`customer_id`, `sku_id`) so that it can name its data subject
without its envelope.

Personal data: each customer event declares `personal`, the payload fields that hold personal
data (plain `str` fields, so each can be sealed on its own), and `data_subject()`, whose data it
is (the customer's stream id). SKUs hold no personal data (`personal = ()`, no subject). The
reference (a customer number such as "C-1042") is the company's own key, not personal data.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import ClassVar

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from events.registry import DomainEvent, register

CUSTOMER_STREAM = "customer"
SKU_STREAM = "sku"

# The customer's fields an event records, in the order the form shows them.
CUSTOMER_FIELDS = (
    "name",
    "reference",
    "email",
    "billing_address",
    "shipping_address",
    "notes",
)
CUSTOMER_PERSONAL = ("name", "email", "billing_address", "shipping_address", "notes")


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordEvent(DomainEvent):
    """Base of the customer and SKU events. The label says all that a (de)activation did: no
    details are shown but those the events recording contents name (`details_shown`)."""

    detail_fields: ClassVar[tuple[str, ...]] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class CustomerEvent(RecordEvent):
    """Base of the customer events: about the customer `customer_id` (its stream id)."""

    customer_id: str

    def data_subject(self) -> str:
        """Whose personal data this event holds: the customer, "customer:<stream id>" (the
        subject an order picked for this customer seals its details under too)."""
        return f"customer:{self.customer_id}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CustomerContents(CustomerEvent):
    """Base of the events that record a customer's details as a whole."""

    personal: ClassVar[tuple[str, ...]] = CUSTOMER_PERSONAL
    name: str
    reference: str = ""
    email: str = ""
    billing_address: str = ""
    shipping_address: str = ""
    notes: str = ""

    def details_shown(self) -> list[tuple[str, str]]:
        shown = [
            (gettext("Name"), self.name),
            (gettext("Reference"), self.reference),
            (gettext("E-mail"), self.email),
        ]
        return [(name, value) for name, value in shown if value]


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class CustomerCreated(CustomerContents):
    label = _("Customer created")


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class CustomerChanged(CustomerContents):
    """A customer's details replaced as a whole (what the edit form shows)."""

    label = _("Customer changed")


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class CustomerDeactivated(CustomerEvent):
    """No new orders pick this customer; its orders and history stay."""

    label = _("Customer deactivated")


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class CustomerReactivated(CustomerEvent):
    label = _("Customer reactivated")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SkuEvent(RecordEvent):
    """Base of the SKU events: about the SKU `sku_id` (its stream id). No personal data
    (`personal` stays empty)."""

    sku_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class SkuContents(SkuEvent):
    code: str
    description: str = ""
    unit_price: Decimal | None = None  # the default unit price; None: none set

    def details_shown(self) -> list[tuple[str, str]]:
        shown = [(gettext("Code"), self.code), (gettext("Description"), self.description)]
        if self.unit_price is not None:
            shown.append((gettext("Unit price"), str(self.unit_price)))
        return [(name, value) for name, value in shown if value]


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class SkuCreated(SkuContents):
    label = _("SKU created")


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class SkuChanged(SkuContents):
    """A SKU's code, description and default price replaced as a whole."""

    label = _("SKU changed")


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class SkuDeactivated(SkuEvent):
    label = _("SKU deactivated")


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class SkuReactivated(SkuEvent):
    label = _("SKU reactivated")


CUSTOMER_EVENTS = frozenset(
    {"CustomerCreated", "CustomerChanged", "CustomerDeactivated", "CustomerReactivated"}
)
SKU_EVENTS = frozenset({"SkuCreated", "SkuChanged", "SkuDeactivated", "SkuReactivated"})
