"""Template helpers the pages rely on."""

import datetime as dt
import re
import uuid

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.template import Context, Template
from django.urls import reverse

from accounts.pages import url_for_each
from orders.forms import NoteForm, OrderForm, TransitionForm
from orders.models import OrderState
from orders.templatetags.orders_tags import duration, form_fields, money


@pytest.mark.parametrize("state", OrderState.values)
def test_every_state_badge_has_a_visible_colour_and_its_label(state):
    html = Template("{% load orders_tags %}{% state_badge state %}").render(
        Context({"state": state})
    )
    assert "text-bg-" in html or "badge-cancelled" in html
    assert f">{OrderState(state).label}<" in html


def test_money_formats_minor_units_with_the_currency():
    assert money(123456789, "EUR") == "1,234,567.89 EUR"
    assert money(5, "USD") == "0.05 USD"


def test_duration_is_compact():
    assert duration(dt.timedelta(days=3, hours=4, minutes=5)) == "3 d 4 h"
    assert duration(dt.timedelta(hours=5, minutes=12)) == "5 h 12 min"
    assert duration(dt.timedelta(minutes=40)) == "40 min"


def test_money_formats_negative_and_large_amounts_like_decimal_did():
    assert money(-5, "EUR") == "-0.05 EUR"
    assert money(-123456, "") == "-1,234.56"
    assert money(0) == "0.00"
    assert money(None) == ""


def test_url_for_each_gives_what_reverse_gives():
    order_id = uuid.uuid4()

    assert url_for_each("orders:detail")(order_id) == reverse("orders:detail", args=[order_id])
    assert url_for_each("orders:history")(order_id) == reverse("orders:history", args=[order_id])


def _forms():
    """Every shape of action form the detail page shows: fresh, re-opened with errors, with a
    value to escape."""
    return [
        TransitionForm(needs=(), initial={"version": 3}, auto_id="id_approve_%s"),
        TransitionForm(needs=("reason",), initial={"version": 3}, auto_id="id_reject_%s"),
        TransitionForm(
            needs=("carrier", "tracking_number"), initial={"version": 3}, auto_id="id_ship_%s"
        ),
        TransitionForm(
            {"version": "3", "carrier": "", "tracking_number": '<b>"x"</b>'},
            needs=("carrier", "tracking_number"),
            auto_id="id_ship_%s",
        ),
        TransitionForm({"version": "x", "reason": "a" * 1001}, needs=("reason",)),
        NoteForm(initial={"version": 3}),
        NoteForm({"version": "3", "text": "<script>alert(1)</script>"}),
        NoteForm({"version": "3", "text": ""}),
    ]


def _markup(html: str) -> str:
    """Whitespace between and inside tags is not part of the page (crispy indents)."""
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("index", range(len(_forms())))
def test_form_fields_renders_what_crispy_renders(index):
    crispy_form, our_form = _forms()[index], _forms()[index]
    for form in (crispy_form, our_form):
        if form.is_bound:
            form.is_valid()

    expected = Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(
        Context({"form": crispy_form})
    )
    rendered = Template("{% load orders_tags %}{% form_fields form %}").render(
        Context({"form": our_form})
    )

    assert _markup(rendered) == _markup(expected)
    assert "<script>" not in rendered


def test_form_fields_leaves_other_forms_to_crispy():
    form = OrderForm()  # an e-mail input: not one of the plain widgets

    assert form_fields(form) == as_crispy_form(OrderForm())
