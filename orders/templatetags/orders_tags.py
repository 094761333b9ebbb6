"""Small filters for the order pages: money, amounts, durations and a state's badge.

Markup for lists, tables, forms and charts lives in the templates, not here.
"""

from decimal import Decimal

from babel.numbers import format_currency, format_decimal, get_decimal_symbol
from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common.form_fields import reader_locale
from orders.models import OrderState, state_in_sentence
from orders.policy_words import setting_value_words

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
def mail_total(data: dict) -> str:
    """A notification's order total in the reader's locale: from `total_cents` and `currency`
    (written since issue #29), else the text an older mail item carries in `total`."""
    if "total_cents" in data:
        return money(data["total_cents"], data.get("currency", ""))
    return data.get("total", "")


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
    """The coloured badge of a state (a simple tag: it renders once per row on the list), in
    the active language."""
    key = (get_language(), state)
    badge = BADGES.get(key)
    if badge is None:
        badge = BADGES[key] = _badge(state)
    return badge


@register.filter(name="state_in_sentence")
def state_in_sentence_filter(state: str) -> str:
    """A state as it reads after "is"/"now" in a sentence ("draft"; German "ein Entwurf")."""
    return state_in_sentence(state)


@register.filter
def setting_value(value) -> str:
    """A policy setting's value as the log stores it ("on", "none", "reject, hold"), in words."""
    return setting_value_words(value)


@register.filter
def reason_actions(actions) -> str:
    """The actions a company asks reasons for ("reject", "hold"), as the buttons name them."""
    return setting_value_words(", ".join(actions)) if actions else ""


@register.filter
def state_label(state: str) -> str:
    """A state's name as users read it ("on_hold" -> "On hold"), in the active language."""
    return str(LABELS.get(state, state))


def _badge(state: str) -> SafeString:
    return format_html(
        '<span class="badge state-badge {}" data-state="{}">{}</span>',
        BADGE.get(state, "text-bg-secondary"),
        state,
        LABELS.get(state, state),
    )


# The same few strings on every page: one per (language, state), made on first use.
BADGES: dict[tuple[str, str], SafeString] = {}


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
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}
