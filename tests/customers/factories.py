"""Builders for customers and SKUs: through `customers.commands`, so every test record has a
real event history."""

from __future__ import annotations

import itertools
from decimal import Decimal

from customers import commands
from customers.validation import CustomerDetails, SkuDetails

_numbers = itertools.count(1)


def customer_details(name: str = "Initech", **fields) -> CustomerDetails:
    number = next(_numbers)
    values = {
        "name": name,
        "reference": f"C-{number:04d}",
        "email": f"buyer{number}@example.com",
        "billing_address": "1 Billing Way",
        "shipping_address": "1 Main St",
        "notes": "",
    }
    return CustomerDetails(**(values | fields))


def customer(actor, name: str = "Initech", **fields):
    return commands.create_customer(actor=actor, details=customer_details(name, **fields))


def sku(actor, code: str | None = None, *, price: str | None = "9.99", description: str = ""):
    code = code or f"SKU-{next(_numbers)}"
    return commands.create_sku(
        actor=actor,
        details=SkuDetails(
            code=code,
            description=description or f"Item {code}",
            unit_price=None if price is None else Decimal(price),
        ),
    )
