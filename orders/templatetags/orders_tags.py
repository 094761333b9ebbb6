"""Small filters for the order pages: money, amounts, durations and a state's badge.

Markup for lists, tables, forms and charts lives in the templates, not here.
"""

from decimal import Decimal

from babel.numbers import format_currency, format_decimal, get_decimal_symbol
from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from common.form_fields import reader_locale
from orders.models import OrderState

register = template.Library()

# Bootstrap colour class per state; cancelled uses our own muted, struck-through badge (app.css).
BADGE = {
    "draft": "text-bg-secondary",
    "submitted": "text-bg-info",
    "approved": "text-bg-primary",
    "in_fulfilment": "text-bg-warning",
    "shipped": "text-bg-dark",
    "delivered": "text-bg-success",
    "on_hold": "text-bg-danger",
    "cancelled": "badge-cancelled",
}
LABELS = dict(OrderState.choices)


@register.filter
def money(cents, currency: str = "") -> str:
    """Integer minor units in the reader's locale (Babel/CLDR, issue #29): '€1,234.56' in
    English, '1.234,56 €' in German; without a currency, the number alone ('1,234.56')."""
    if cents is None:
        return ""
    value = Decimal(int(cents)).scaleb(-2)
    if not currency:
        return amount(value)
    return format_currency(value, currency, locale=reader_locale())


@register.filter
def amount(value) -> str:
    """A decimal amount in major units (Decimal or its string), two decimals, in the reader's
    locale: '1,234.50' in English, '1.234,50' in German."""
    return format_decimal(Decimal(value), format=TWO_DECIMALS, locale=reader_locale())


@register.filter
def in_currency(value, currency: str = "") -> str:
    """A decimal amount in major units with its currency, as `money` writes it."""
    if value is None or value == "":
        return ""
    if not currency:
        return amount(value)
    return format_currency(Decimal(value), currency, locale=reader_locale())


@register.filter
def line_total(line: dict) -> str:
    """An order line's quantity x unit price (a line dict of `OrderSummary.lines`), as
    `amount` writes it ('24.80')."""
    return amount(Decimal(line["unit_price"]) * int(line["quantity"]))


@register.simple_tag
def decimal_mark() -> str:
    """The reader's decimal mark ("," in German): for the order form's live total."""
    return get_decimal_symbol(reader_locale())


TWO_DECIMALS = "#,##0.00"


@register.simple_tag
def state_badge(state: str) -> str:
    """The coloured badge of a state (a simple tag: it renders once per row on the list)."""
    return BADGES.get(state) or _badge(state)


def _badge(state: str) -> SafeString:
    return format_html(
        '<span class="badge state-badge {}" data-state="{}">{}</span>',
        BADGE.get(state, "text-bg-secondary"),
        state,
        LABELS.get(state, state),
    )


BADGES = {state: _badge(state) for state in LABELS}  # the same few strings on every page


@register.filter
def since(moment) -> str:
    """How long ago, compactly: '3 d 4 h', '5 h 12 min', '40 min'."""
    if moment is None:
        return ""
    return duration(timezone.now() - moment)


@register.filter
def duration(delta) -> str:
    """A timedelta, compactly (as `since`); negative durations show as '0 min'."""
    if delta is None:
        return ""
    days, rest = divmod(max(int(delta.total_seconds()), 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
