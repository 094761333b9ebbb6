"""What a customer's and a SKU's details are, and the checks the commands apply to them (the
forms use the same limits). The rules match the order's (`orders.validation`: text in NFC, no
control characters, an e-mail address Django accepts, amounts 0 to `MAX_UNIT_PRICE` in cents),
restated here because orders stand on this floor, not below it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from common import typed_input
from common.translatable import Translatable

from .events import CUSTOMER_FIELDS
from .exceptions import RecordValidationError

MAX_UNIT_PRICE = Decimal("10000000.00")  # as an order line's (orders.validation)
LIMITS = {
    "name": 200,
    "reference": 100,
    "email": 254,
    "billing_address": 1000,
    "shipping_address": 1000,
    "notes": 4000,
    "code": 64,
    "description": 300,
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class CustomerDetails:
    """A customer's details as a form or file gives them (what `CustomerCreated` records)."""

    name: str
    reference: str = ""
    email: str = ""
    billing_address: str = ""
    shipping_address: str = ""
    notes: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class SkuDetails:
    code: str
    description: str = ""
    unit_price: Decimal | None = None


# Lazy: a refusal stored by an import says its field in the reader's language
# (`common.translatable`).
LABELS = {
    "name": gettext_lazy("Name"),
    "reference": gettext_lazy("Reference"),
    "email": gettext_lazy("E-mail"),
    "billing_address": gettext_lazy("Billing address"),
    "shipping_address": gettext_lazy("Shipping address"),
    "notes": gettext_lazy("Notes"),
    "code": gettext_lazy("Code"),
    "description": gettext_lazy("Description"),
}


def check_text(errors: dict, name: str, value, *, required: bool) -> str:
    """`common.typed_input.check_text` with the customer and SKU fields' labels and `LIMITS`."""
    return typed_input.check_text(
        errors, name, value, label=LABELS[name], limit=LIMITS[name], required=required
    )


def clean_customer(details: CustomerDetails) -> CustomerDetails:
    """Trimmed, normalised details, or `RecordValidationError` (field -> messages)."""
    errors: dict[str, list[str]] = {}
    cleaned = {
        name: check_text(errors, name, getattr(details, name), required=name == "name")
        for name in CUSTOMER_FIELDS
    }
    if cleaned["email"] and "email" not in errors:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors.setdefault("email", []).append(_("Enter a valid e-mail address."))
    if errors:
        raise RecordValidationError(errors)
    return CustomerDetails(**cleaned)


def clean_sku(details: SkuDetails) -> SkuDetails:
    """Trimmed details with the price in cents precision, or `RecordValidationError`."""
    errors: dict[str, list[str]] = {}
    code = check_text(errors, "code", details.code, required=True)
    if code and any(char.isspace() for char in code) and "code" not in errors:
        errors.setdefault("code", []).append(_("A SKU code has no spaces or line breaks."))
    description = check_text(errors, "description", details.description, required=False)
    price = details.unit_price
    if price is not None:
        message = Translatable(
            gettext_noop("Enter a unit price from 0.00 to %(limit)s, with at most two decimals."),
            {"limit": f"{MAX_UNIT_PRICE:,.2f}"},
        )
        try:
            price = price if isinstance(price, Decimal) else Decimal(str(price))
            if (
                not price.is_finite()
                or price.is_signed()
                or price > MAX_UNIT_PRICE
                or price != price.quantize(Decimal("0.01"))
            ):
                raise InvalidOperation
            price = price.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError, TypeError):
            errors.setdefault("unit_price", []).append(message)
    if errors:
        raise RecordValidationError(errors)
    return SkuDetails(code=code, description=description, unit_price=price)
