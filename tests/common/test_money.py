"""`common.money`: cents and amounts, exact both ways, shown for people and for machines."""

from decimal import Decimal

import pytest

from common import money


@pytest.mark.parametrize(
    ("cents", "plain", "shown"),
    [
        (0, "0.00", "0.00 EUR"),
        (5, "0.05", "0.05 EUR"),
        (123450, "1234.50", "1,234.50 EUR"),
        (-123450, "-1234.50", "-1,234.50 EUR"),
        # Past a float's 53 bits: a float division would lose the last cents.
        (2**62 + 1, "46116860184273879.05", "46,116,860,184,273,879.05 EUR"),
    ],
)
def test_cents_are_shown_exactly(cents, plain, shown):
    assert money.plain(cents) == plain
    assert money.shown(cents, "EUR") == shown
    assert money.to_cents(money.from_cents(cents)) == cents


def test_an_amount_becomes_cents_exactly():
    assert money.to_cents(Decimal("0.1") + Decimal("0.2")) == 30
    assert money.from_cents(1) == Decimal("0.01")
    assert money.shown(None) == ""
