"""Money between its stored form and its shown forms, written once (issue #23 §3: cents <->
amount conversions were in four places). Amounts are stored in minor units (cents) as integers
(exact, sortable, summable in SQL); every order currency of ours has two decimals.

- `to_cents(Decimal)` and `from_cents(int)`: exact both ways (no float: a total of 2^62 cents
  divided as a float loses cents);
- `plain(cents)`: "1234.50", for machines (API, CSV: no separators);
- `shown(cents, currency)`: "1,234.50 EUR", for people (pages, mails).
"""

from __future__ import annotations

from decimal import Decimal


def to_cents(amount: Decimal) -> int:
    """An amount with at most two decimals (the forms and commands allow no more) in cents."""
    return int((amount * 100).to_integral_value())


def from_cents(cents: int) -> Decimal:
    """Cents as the exact amount, two decimals: 123450 -> Decimal("1234.50")."""
    return Decimal(int(cents)).scaleb(-2)


def plain(cents: int) -> str:
    """Cents as the amount for machines: "-1234.50" (no separators)."""
    return f"{from_cents(cents):.2f}"


def shown(cents: int | None, currency: str = "") -> str:
    """Cents as people read the amount: "1,234.50 EUR" ("" for None)."""
    if cents is None:
        return ""
    return f"{from_cents(cents):,.2f} {currency}".strip()
