"""The team page's and the companies page's queries."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery

from events.models import Event
from projections.models import OrderSummary

from .models import Company, User


def team_members(company_id) -> QuerySet[User]:
    """The company's users (active or not) by username, their groups prefetched for `role`."""
    return (
        User.objects.filter(company_id=company_id).prefetch_related("groups").order_by("username")
    )


def companies_overview() -> QuerySet[Company]:
    """Every company by name, with `user_count`, `order_count` and `last_activity` (the
    recorded time of its latest event, None without one). One query, subqueries per column; the
    orders are counted on their read model (one `OrderSummary` row per order, committed with
    the event that places it), which `accounts` stands above."""
    orders = (
        OrderSummary.objects.filter(company=OuterRef("pk"))
        .order_by()
        .values("company")
        .annotate(n=Count("pk"))
        .values("n")
    )
    users = (
        User.objects.filter(company=OuterRef("pk"))
        .order_by()
        .values("company")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_event = Event.objects.filter(company=OuterRef("pk")).order_by("-position")
    return Company.objects.annotate(
        user_count=Subquery(users),
        order_count=Subquery(orders),
        last_activity=Subquery(last_event.values("recorded_at")[:1]),
    ).order_by("name")
