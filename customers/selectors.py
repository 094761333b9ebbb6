"""The customer and SKU pages' and the order form's queries, all scoped to the user's company
(another company's record is a 404, never a 403)."""

from __future__ import annotations

import uuid

from django.db.models import Count, Q, Sum
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404

from common.typed_input import search_key
from projections.models import OrderSummary

from .models import Customer, Sku

# How many matches an auto-complete answers with: a short list to pick from, whatever is typed.
LOOKUP_LIMIT = 10
MAX_QUERY = 200  # characters of a search that are used


def customers(user, query: str = "", *, active: bool | None = None):
    """The company's customers, by name; `query` matches name, reference or e-mail in any case
    (Unicode case folding), anywhere in them."""
    found = Customer.objects.filter(company_id=user.company_id)
    if query:
        found = found.filter(search_text__contains=search_key(query[:MAX_QUERY].strip()))
    if active is not None:
        found = found.filter(active=active)
    return found.order_by("name_key", "id")


def customer(user, customer_id) -> Customer:
    """One customer of the user's company; Http404 otherwise."""
    return get_object_or_404(Customer.objects.filter(company_id=user.company_id), pk=customer_id)


def customer_matches(user, query: str) -> list[Customer]:
    """At most `LOOKUP_LIMIT` active customers matching `query` (the order form's auto-complete):
    an exact reference first, then names in order. Nothing for an empty query."""
    query = query[:MAX_QUERY].strip()
    if not query:
        return []
    key = search_key(query)
    found = list(customers(user, query, active=True)[: LOOKUP_LIMIT + 1])
    found.sort(key=lambda c: (c.reference_key != key, c.email_key != key))
    return found[:LOOKUP_LIMIT]


def find_customer(company_id, text: str) -> tuple[Customer | None, int]:
    """The active customer that `text` names exactly: by reference, else e-mail, else name
    (case-folded); returns (customer or None, how many matched at the deciding step). What the
    order form does with a typed customer when no script picked one."""
    text = text[:MAX_QUERY].strip()
    found = customers_named(company_id, reference=text, email=text, name=text, active=True, limit=2)
    return (found[0] if len(found) == 1 else None), len(found)


def customers_named(
    company_id, *, reference: str, email: str, name: str, active: bool | None, limit: int
) -> list[Customer]:
    """The company's customers named exactly (case-folded, each value against its own column)
    by the first of `reference`, `email`, `name` that names any (an empty one is skipped),
    oldest first, at most `limit`; [] when none does. `active`: True or False keeps only those,
    None takes both. How the order form's typed customer (`find_customer`) and an imported
    order's customer are found."""
    every = Customer.objects.filter(company_id=company_id).order_by("created_at", "id")
    if active is not None:
        every = every.filter(active=active)
    for column, value in (("reference_key", reference), ("email_key", email), ("name_key", name)):
        if value and (found := list(every.filter(**{column: search_key(value)})[:limit])):
            return found
    return []


def customer_orders(user, customer_id: uuid.UUID):
    """The customer's orders (summaries of the user's company)."""
    return OrderSummary.objects.filter(company_id=user.company_id, customer_id=customer_id)


def order_totals(user, customer_id: uuid.UUID) -> list[dict]:
    """The customer's orders per state: [{"state", "count", "total_cents"}] by state, plus their
    sum (state "") last. Amounts in the company's currency (orders carry it).

    Counted and summed by the database, one row per state (so at most one per state whatever
    the customer's orders). Grouped by an expression of the state, not the column: given a
    GROUP BY state, SQLite (no ANALYZE statistics) walks the company's whole (company, state,
    …) index to get the groups in order; grouped by `LOWER(state)` (the same value: states are
    lower-case names) no index gives the groups, so it reads the customer's own range of the
    (company, customer_id, …) index and groups those rows (EXPLAIN QUERY PLAN, issue #25)."""
    grouped = (
        customer_orders(user, customer_id)
        .order_by()
        .values(group=Lower("state"))
        .annotate(count=Count("pk"), total_cents=Sum("total_cents"))
    )
    rows = sorted(
        (
            {"state": row["group"], "count": row["count"], "total_cents": row["total_cents"]}
            for row in grouped
        ),
        key=lambda row: row["state"],
    )
    if rows:
        rows.append(
            {
                "state": "",
                "count": sum(row["count"] for row in rows),  # one row per state
                "total_cents": sum(row["total_cents"] for row in rows),
            }
        )
    return rows


def skus(user, query: str = "", *, active: bool | None = None):
    """The company's SKUs by code; `query` matches code or description in any case."""
    found = Sku.objects.filter(company_id=user.company_id)
    if query:
        found = found.filter(search_text__contains=search_key(query[:MAX_QUERY].strip()))
    if active is not None:
        found = found.filter(active=active)
    return found.order_by("code_key", "id")


def sku(user, sku_id) -> Sku:
    return get_object_or_404(Sku.objects.filter(company_id=user.company_id), pk=sku_id)


def sku_matches(user, query: str) -> list[Sku]:
    """At most `LOOKUP_LIMIT` active SKUs matching `query`: codes starting with it first."""
    query = query[:MAX_QUERY].strip()
    if not query:
        return []
    key = search_key(query)
    prefix = skus(user, active=True).filter(code_key__startswith=key)
    found = list(prefix[:LOOKUP_LIMIT])
    if len(found) < LOOKUP_LIMIT:
        more = skus(user, query, active=True).exclude(Q(pk__in=[s.pk for s in found]))
        found += list(more[: LOOKUP_LIMIT - len(found)])
    return found


def active_skus_by_code(company_id, codes) -> dict[str, Sku]:
    """The company's active SKUs whose code is among `codes` (any case), by code key."""
    keys = {search_key(code) for code in codes if code}
    if not keys:
        return {}
    found = Sku.objects.filter(company_id=company_id, active=True, code_key__in=keys)
    return {s.code_key: s for s in found}
