from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html

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
    """Integer minor units -> '1,234.56 EUR'."""
    if cents is None:
        return ""
    amount = (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))
    return f"{amount:,.2f} {currency}".strip()


@register.filter
def amount(value) -> str:
    return f"{Decimal(value):,.2f}"


@register.filter
def line_total(line: dict) -> str:
    return f"{Decimal(line['unit_price']) * int(line['quantity']):,.2f}"


@register.filter
def state_label(state: str) -> str:
    return LABELS.get(state, state)


@register.simple_tag
def state_badge(state: str) -> str:
    """The coloured badge of a state (a simple tag: it renders once per row on the list)."""
    return format_html(
        '<span class="badge state-badge {}" data-state="{}">{}</span>',
        BADGE.get(state, "text-bg-secondary"),
        state,
        LABELS.get(state, state),
    )


@register.filter
def since(moment) -> str:
    """How long ago, compactly: '3 d 4 h', '5 h 12 min', '40 min'."""
    if moment is None:
        return ""
    return duration(timezone.now() - moment)


@register.filter
def duration(delta) -> str:
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
