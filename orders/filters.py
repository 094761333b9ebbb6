"""The order list's query parameters, as a django-filter FilterSet (documented in README).

state (repeatable), placed_after / placed_before (dates), q (customer name, order number,
customer reference, customer e-mail or a line's SKU; or exactly an imported order's reference in
the old system), total_min / total_max (amounts), stuck
(true: open orders stuck in their state), returned (true: drafts sent back by a rejection),
mine (true: orders the signed-in user placed), sort (column, '-' for descending), page,
per_page (25, 50 or 100; ORDERS_PER_PAGE when absent).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from common.form_fields import (
    AmountFilter,
    BoundedDateFilter,
    IsoDateInput,
    StrictBooleanFilter,
    TrueCheckboxInput,
)
from common.money import to_cents
from common.typed_input import search_key
from projections.models import OrderSummary

from .commands import order_id_for
from .forms import OrderFilterForm
from .models import FINAL_STATES, OrderState
from .validation import MAX_ORDER_TOTAL

SORTS = {
    "number": "sequence",
    "customer": "customer_name",
    "state": "state",
    "lines": "line_count",
    "total": "total_cents",
    "placed": "placed_at",
    "changed": "last_changed_at",
    "since": "state_since",
}


DEFAULT_SORT = "-placed"

# Each sort column's tie-breakers, read in the sort's direction: together they are the columns of
# one summary index (projections.models.OrderSummary), so a page of any sort is read from that
# index in order and the reading stops after the page (SQLite's plan sorts nothing; tests/orders/
# test_list_query_plans.py). The order number makes every order unique.
SORT_TIES = {
    "state": ("state_since", "sequence"),
    "sequence": (),
}


COLUMN_LABELS = {
    "number": _("Number"),
    "customer": _("Customer"),
    "state": _("State"),
    "lines": _("Lines"),
    "total": _("Total"),
    "placed": _("Placed"),
    "changed": _("Last change"),
    "since": _("In state for"),
}
NUMERIC_COLUMNS = frozenset({"lines", "total"})


def sort_columns(params) -> list[dict]:
    """The list's sortable column headers, in table order: {"name", "label", "numeric", "query":
    the list's query string sorted by this column (ascending, or reversed when it already is
    the ascending sort), "direction": "ascending" / "descending" / "" (its `aria-sort`)}.
    `params` is the request's QueryDict; the page number is dropped (a new sort starts at 1)."""
    current = params.get("sort") or DEFAULT_SORT
    columns = []
    for name, label in COLUMN_LABELS.items():
        query = params.copy()
        query.pop("page", None)
        query["sort"] = f"-{name}" if current == name else name
        columns.append(
            {
                "name": name,
                "label": label,
                "numeric": name in NUMERIC_COLUMNS,
                "query": query.urlencode(),
                "direction": {name: "ascending", f"-{name}": "descending"}.get(current, ""),
            }
        )
    return columns


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _date_filter(method: str, label: str) -> django_filters.DateFilter:
    return BoundedDateFilter(method=method, label=label, widget=IsoDateInput)


def _total_filter(method: str, label: str) -> django_filters.NumberFilter:
    """An amount in major units with two decimals (the rows hold cents)."""
    return AmountFilter(method=method, label=label, max_value=MAX_ORDER_TOTAL)


class TranslatedOrderingFilter(django_filters.OrderingFilter):
    """django-filter's ordering choices, made when the filter is declared, with the descending
    label as lazy text, so the choices read in the language of each request."""

    def build_choices(self, fields, labels):
        ascending = [(param, labels.get(field, param)) for field, param in fields.items()]
        descending = [
            (f"-{param}", format_lazy(_("{label} (descending)"), label=label))
            for param, label in ascending
        ]
        return [choice for pair in zip(ascending, descending, strict=True) for choice in pair]


class OrderFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=OrderState.choices,
        widget=forms.CheckboxSelectMultiple,
        label=_("State"),
        # One table, no joins: each row comes once anyway. (django-filter's default DISTINCT
        # made SQLite de-duplicate every matching row, and the count a subquery.)
        distinct=False,
    )
    placed_after = _date_filter("filter_placed_after", _("Placed on or after"))
    placed_before = _date_filter("filter_placed_before", _("Placed on or before"))
    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Customer, order number, reference, e-mail or SKU"),
        max_length=100,
        widget=forms.SearchInput,
    )
    total_min = _total_filter("filter_total_min", _("Total at least"))
    total_max = _total_filter("filter_total_max", _("Total at most"))
    stuck = StrictBooleanFilter(
        method="filter_stuck",
        label=_("Only stuck orders"),
        widget=TrueCheckboxInput,
    )
    returned = StrictBooleanFilter(
        method="filter_returned",
        label=_("Only drafts sent back"),
        widget=TrueCheckboxInput,
    )
    mine = StrictBooleanFilter(
        method="filter_mine",
        label=_("Only orders I placed"),
        widget=TrueCheckboxInput,
    )
    sort = TranslatedOrderingFilter(
        fields=tuple((column, name) for name, column in SORTS.items()),
        field_labels={column: COLUMN_LABELS[name] for name, column in SORTS.items()},
        label=_("Sort by"),
        empty_label=_("Newest first"),
    )

    class Meta:
        model = OrderSummary
        fields = ["state"]
        form = OrderFilterForm

    def filter_placed_after(self, queryset, name, value):
        return queryset.filter(placed_at__gte=_start_of(value))

    def filter_placed_before(self, queryset, name, value):
        return queryset.filter(placed_at__lt=_start_of(value + dt.timedelta(days=1)))

    def filter_q(self, queryset, name, value):
        """Part of the number, customer, reference, e-mail or a line's SKU or description, in
        any case and either Unicode form: both sides compared as `search_key` (the projected
        `search_text` is stored that way), the same on SQLite and PostgreSQL."""
        raw = value.strip()
        value = search_key(raw)
        if not value:
            return queryset
        matches = Q(search_text__contains=value)
        company_id = getattr(getattr(self.request, "user", None), "company_id", None)
        if company_id is not None:  # an imported order by its old system's reference, exactly
            matches |= Q(id=order_id_for(company_id, f"import:{raw}"))
        return queryset.filter(matches)

    def filter_stuck(self, queryset, name, value):
        """Open orders in the same state for longer than STUCK_AFTER_DAYS (as on the dashboard)."""
        if not value:
            return queryset
        cutoff = timezone.now() - dt.timedelta(days=settings.STUCK_AFTER_DAYS)
        return queryset.exclude(state__in=FINAL_STATES).filter(state_since__lt=cutoff)

    def filter_returned(self, queryset, name, value):
        """Drafts sent back by a rejection (the Staff queue on the dashboard)."""
        if not value:
            return queryset
        return queryset.filter(state=OrderState.DRAFT).exclude(rejection_reason="")

    def filter_mine(self, queryset, name, value):
        """Orders placed by the signed-in user (`placed_by` holds the placing actor's username);
        the FilterSet is built with `request=`, so the URL is shareable: each reader gets theirs."""
        if not value:
            return queryset
        return queryset.filter(placed_by=self.request.user.get_username())

    def filter_total_min(self, queryset, name, value: Decimal):
        return queryset.filter(total_cents__gte=to_cents(value))

    def filter_total_max(self, queryset, name, value: Decimal):
        return queryset.filter(total_cents__lte=to_cents(value))

    def filter_queryset(self, queryset):
        # `page` and `per_page` live on the form (a bad value is a form error), not filters.
        for name, value in self.form.cleaned_data.items():
            if name in self.filters:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def qs(self):
        queryset = super().qs
        ordering = queryset.query.order_by or (f"-{SORTS[DEFAULT_SORT[1:]]}",)
        # A unique tie-breaker keeps pages stable when many rows share the sort value; in the
        # sort's direction, so one index gives the whole order (`SORT_TIES`).
        columns, seen = [], set()
        for term in ordering:
            sign, column = ("-", term[1:]) if term.startswith("-") else ("", term)
            for name in (column, *SORT_TIES.get(column, ("sequence",))):
                if name not in seen:
                    seen.add(name)
                    columns.append(f"{sign}{name}")
        return queryset.order_by(*columns)
