"""The dashboard's state cards and stuck orders, built in Python as the chart is (each was a loop
of template variables, filters and `{% url %}` tags)."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.pages import url_for_each
from orders.templatetags.orders_tags import duration, money, state_badge
from orders.templatetags.orders_tags import escape_text as esc

register = template.Library()


@register.simple_tag
def state_cards(cards, currency: str) -> SafeString:
    """The card of each state (`projections.selectors.StateCard`), linking to the list."""
    list_url = esc(reverse("orders:list"))
    return mark_safe("\n".join(_card(card, list_url, currency) for card in cards))


def _card(card, list_url: str, currency: str) -> str:
    state = esc(card.state)
    return (
        f'<div class="col"><a class="card h-100 text-decoration-none" '
        f'href="{list_url}?state={state}" data-state="{state}">'
        f'<div class="card-body py-2"><div class="small text-body-secondary">'
        f"{state_badge(card.state)}</div>"
        f'<div class="fs-4 fw-semibold" data-testid="count-{state}">{int(card.count)}</div>'
        f'<div class="small">{esc(money(card.total_cents, currency))}</div></div></a></div>'
    )


@register.simple_tag
def stuck_items(rows) -> SafeString:
    """The stuck orders' list items (dicts of `projections.selectors.stuck_orders`)."""
    detail_url, now = url_for_each("orders:detail"), timezone.now()
    return mark_safe(
        "\n".join(
            f'<li><a href="{esc(detail_url(row["id"]))}" class="mono">{esc(row["number"])}</a> '
            f'{state_badge(row["state"])} <span class="small text-body-secondary">for '
            f"{duration(now - row['state_since'])}</span></li>"
            for row in rows
        )
    )
