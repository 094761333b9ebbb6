"""Limits and checks on order data, shared by the commands (the authority) and the forms."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from common import typed_input
from common.translatable import Translatable
from common.typed_input import InputError, parse_amount, parse_whole_number

from .events import Line, OrderDetails, lines_total
from .exceptions import OrderValidationError
from .models import MAX_LINES

MAX_QUANTITY = 1_000_000
MAX_UNIT_PRICE = Decimal("10000000.00")
# Limits that keep every stored sum inside a signed 64-bit integer (SQLite INTEGER, PostgreSQL
# bigint; 2^63 - 1 = 9,223,372,036,854,775,807 ≈ 9.22e18), whatever users enter:
# - an order's total is at most MAX_ORDER_TOTAL = 100,000,000.00, i.e. 1e10 cents;
# - a company has at most MAX_ORDERS_PER_COMPANY = 1e8 orders (checked when one is placed);
# - so a dashboard state total (a sum of order totals) is at most 1e8 * 1e10 = 1e18 cents
#   < 9.22e18, and so is an order's total_cents (1e10); counts (per state, per day) are at
#   most 1e8 < 2^31 - 1, which even a PositiveIntegerField holds;
# - cycle seconds: events are stamped by the server clock, so a submit-to-deliver cycle is
#   shorter than 1,000 years (3.2e10 s) and their sum at most 1e8 * 3.2e10 = 3.2e18 < 9.22e18.
# tests/orders/test_limits.py checks the arithmetic and the extremes.
MAX_ORDER_TOTAL = Decimal("100000000.00")
# A line's message, said of the order form's line (an import names the file's row instead).
LINE_MESSAGE = gettext_noop("Line %(number)d: %(message)s")
MAX_ORDERS_PER_COMPANY = 100_000_000
LIMITS = {
    "customer_name": 200,
    "customer_reference": 100,
    "customer_email": 254,
    "shipping_address": 1000,
    "notes": 4000,
    "sku": 64,
    "description": 300,
    "reason": 1000,
    "carrier": 100,
    "tracking_number": 100,
    "text": 4000,
}


def check_text(errors: dict, name: str, value, *, required: bool, label: str) -> str:
    """`common.typed_input.check_text` with the order fields' `LIMITS`."""
    return typed_input.check_text(
        errors, name, value, label=label, limit=LIMITS[name], required=required
    )


def clean_details(details: OrderDetails, errors: dict) -> OrderDetails:
    name = check_text(
        errors, "customer_name", details.customer_name, required=True, label=_("Customer name")
    )
    reference = check_text(
        errors,
        "customer_reference",
        details.customer_reference,
        required=False,
        label=_("Customer reference"),
    )
    email = check_text(
        errors, "customer_email", details.customer_email, required=False, label=_("Customer e-mail")
    )
    if email and "customer_email" not in errors:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("customer_email", []).append(gettext("Enter a valid e-mail address."))
    address = check_text(
        errors,
        "shipping_address",
        details.shipping_address,
        required=False,
        label=_("Shipping address"),
    )
    notes = check_text(errors, "notes", details.notes, required=False, label=_("Notes"))
    customer_id = details.customer_id or ""
    if customer_id:
        try:
            customer_id = str(uuid.UUID(str(customer_id)))
        except ValueError:
            errors.setdefault("customer", []).append(_("No such customer."))
    return OrderDetails(
        customer_name=name,
        customer_reference=reference,
        customer_email=email,
        shipping_address=address,
        notes=notes,
        customer_id=customer_id,
    )


def clean_line(line: Line, number: int, errors: dict) -> Line:
    key = f"lines.{number}"
    line_errors: dict[str, list[str]] = {}
    sku = check_text(line_errors, "sku", line.sku, required=True, label=_("SKU"))
    description = check_text(
        line_errors, "description", line.description, required=False, label=_("Description")
    )
    quantity = line.quantity
    if isinstance(quantity, str):  # text from an entry point that does not parse it first
        with contextlib.suppress(InputError):  # then "must be a whole number" below
            quantity = parse_whole_number(quantity)
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        line_errors.setdefault("quantity", []).append(gettext("Quantity must be a whole number."))
    elif not 1 <= quantity <= MAX_QUANTITY:
        line_errors.setdefault("quantity", []).append(
            Translatable(
                gettext_noop("Quantity must be between 1 and %(max)s."),
                {"max": f"{MAX_QUANTITY:,}"},
            )
        )
    price = line.unit_price
    try:
        if isinstance(price, str):
            price = parse_amount(price)  # not Decimal(): it takes "1_000" and "NaN"
        price = Decimal(price) if not isinstance(price, Decimal) else price
        if not price.is_finite():
            raise InvalidOperation
        if price.is_signed() or price > MAX_UNIT_PRICE:  # -0.00 too: no negative zero
            line_errors.setdefault("unit_price", []).append(
                Translatable(
                    gettext_noop("Unit price must be between 0.00 and %(max)s."),
                    {"max": f"{MAX_UNIT_PRICE:,}"},
                )
            )
        elif price != price.quantize(Decimal("0.01")):
            line_errors.setdefault("unit_price", []).append(
                gettext("Unit price can have at most 2 decimal places.")
            )
        else:
            price = price.quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):  # InputError is a ValueError
        line_errors.setdefault("unit_price", []).append(gettext("Unit price must be a number."))
    for field, messages in line_errors.items():
        errors.setdefault(f"{key}.{field}", []).extend(
            Translatable(LINE_MESSAGE, {"number": number + 1, "message": message})
            for message in messages
        )
    return Line(sku=sku, description=description, quantity=quantity, unit_price=price)


def clean_order(details: OrderDetails, lines) -> tuple[OrderDetails, tuple[Line, ...]]:
    """Return trimmed, normalised details and lines, or raise OrderValidationError."""
    errors: dict[str, list[str]] = {}
    details = clean_details(details, errors)
    lines = list(lines)
    if len(lines) > MAX_LINES:
        errors.setdefault("lines", []).append(
            Translatable(
                gettext_noop("An order can have at most %(max)d lines (this one has %(count)d)."),
                {"max": MAX_LINES, "count": len(lines)},
            )
        )
        lines = lines[:MAX_LINES]
    cleaned = tuple(clean_line(line, i, errors) for i, line in enumerate(lines))
    if not errors and lines_total(cleaned) > MAX_ORDER_TOTAL:
        errors.setdefault("lines", []).append(
            Translatable(
                gettext_noop(
                    "The order's total (%(total)s) is above the largest an order may have "
                    "(%(max)s); split it into several orders."
                ),
                {"total": f"{lines_total(cleaned):,}", "max": f"{MAX_ORDER_TOTAL:,}"},
            )
        )
    if errors:
        raise OrderValidationError(errors)
    return details, cleaned


def clean_fields(
    data: dict, required: tuple[str, ...], *, optional: tuple[str, ...] = ()
) -> dict[str, str]:
    """Validate the extra data a transition needs (reason, carrier, tracking number); those
    named in `optional` may be blank (a reason the company's policy does not ask for)."""
    errors: dict[str, list[str]] = {}
    labels = {
        "reason": _("A reason"),
        "carrier": _("Carrier"),
        "tracking_number": _("Tracking number"),
        "text": _("The note"),
    }
    cleaned = {
        name: check_text(
            errors, name, data.get(name), required=name not in optional, label=labels[name]
        )
        for name in required
    }
    unexpected = sorted(set(data) - set(required))
    if unexpected:
        errors.setdefault("", []).append(
            gettext("Unexpected data: %(names)s.") % {"names": ", ".join(unexpected)}
        )
    if errors:
        raise OrderValidationError(errors)
    return cleaned


def check_order_count(sequence: int) -> None:
    """Raise OrderValidationError if a company's `sequence`-th order would pass the limit."""
    if sequence > MAX_ORDERS_PER_COMPANY:
        raise OrderValidationError(
            {
                "": [
                    gettext("This company has reached the limit of %(max)s orders.")
                    % {"max": f"{MAX_ORDERS_PER_COMPANY:,}"}
                ]
            }
        )


MAX_POLICY_DAYS = 3650


def clean_policy(settings):
    """Validate a company's controls (`PolicySettings`): limits are amounts of 0 or more with at
    most two decimals, the Staff limit not above the two-Manager limit, auto-approval only with a
    Staff limit, reasons only for the actions that take one, a reopen window of 0 to 3650 days.
    Returns the settings with amounts quantized to cents; raises `OrderValidationError`."""
    from .events import REASON_ACTIONS

    errors: dict[str, list[str]] = {}
    limits = {}
    for name in ("staff_limit", "two_manager_limit"):
        value = getattr(settings, name)
        if value is not None:
            if not value.is_finite() or value < 0 or value > MAX_ORDER_TOTAL:
                errors.setdefault(name, []).append(
                    gettext("Enter an amount from 0 to %(max)s.")
                    % {"max": f"{MAX_ORDER_TOTAL:,.2f}"}
                )
                continue
            if value != value.quantize(Decimal("0.01")):
                errors.setdefault(name, []).append(gettext("Use at most two decimals."))
                continue
            value = value.quantize(Decimal("0.01"))
        limits[name] = value
    a, b = limits.get("staff_limit"), limits.get("two_manager_limit")
    if a is not None and b is not None and a > b:
        errors.setdefault("staff_limit", []).append(
            gettext("The Staff limit cannot be above the two-Manager limit.")
        )
    if settings.auto_approve and settings.staff_limit is None:
        errors.setdefault("auto_approve", []).append(gettext("Auto-approval needs a Staff limit."))
    unknown = set(settings.reasons_required) - set(REASON_ACTIONS)
    if unknown:
        errors.setdefault("reasons_required", []).append(gettext("Unknown action."))
    if not 0 <= settings.reopen_days <= MAX_POLICY_DAYS:
        errors.setdefault("reopen_days", []).append(
            gettext("Enter 0 to %(max)d days.") % {"max": MAX_POLICY_DAYS}
        )
    if settings.retention_days is not None and not 1 <= settings.retention_days <= 36500:
        errors.setdefault("retention_days", []).append(
            gettext("Enter 1 to 36500 days, or nothing.")
        )
    if errors:
        raise OrderValidationError(errors)
    reasons = tuple(action for action in REASON_ACTIONS if action in settings.reasons_required)
    return dataclasses.replace(settings, reasons_required=reasons, **limits)
