"""Template helpers the pages rely on."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from orders.models import OrderState
from orders.templatetags.orders_tags import amount, duration, money


@pytest.mark.parametrize("state", OrderState.values)
def test_every_state_badge_has_a_visible_colour_and_its_label(state):
    html = Template("{% load orders_tags %}{% state_badge state %}").render(
        Context({"state": state})
    )
    assert "text-bg-" in html or "badge-cancelled" in html
    assert f">{OrderState(state).label}<" in html


def test_money_formats_minor_units_with_the_currency_in_the_readers_locale():
    assert money(123456789, "EUR") == "€1,234,567.89"
    assert money(5, "USD") == "$0.05"
    with translation.override("de"):
        assert money(125000, "EUR") == "1.250,00\xa0€"
        assert money(123456789, "") == "1.234.567,89"
        assert amount("1250") == "1.250,00"


def test_an_amount_keeps_its_cents_exactly():
    assert amount("0.1") == "0.10"
    assert amount("99999999.99") == "99,999,999.99"


def test_duration_is_compact():
    assert duration(dt.timedelta(days=3, hours=4, minutes=5)) == "3 d 4 h"
    assert duration(dt.timedelta(hours=5, minutes=12)) == "5 h 12 min"
    assert duration(dt.timedelta(minutes=40)) == "40 min"


def test_money_formats_negative_and_large_amounts_like_decimal_did():
    assert money(-5, "EUR") == "-€0.05"
    assert money(-123456, "") == "-1,234.56"
    assert money(0) == "0.00"
    assert money(None) == ""
