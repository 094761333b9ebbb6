"""The team page's and the companies page's queries."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, F, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from events.models import Event
from projections.models import OrderSummary

from .models import ApiKey, Company, User


def team_members(company_id) -> QuerySet[User]:
    """The company's users (active or not) by username, their groups prefetched for `role`."""
    return (
        User.objects.filter(company_id=company_id, api_key__isnull=True)
        .prefetch_related("groups")
        .order_by("username")
    )


@dataclasses.dataclass(frozen=True)
class Invitation:
    """A user who has not set a password yet; `link_issued_at` (None: no link on record) and
    `expires_at` of the newest set-password link; `expired` whether it has passed."""

    user: User
    link_issued_at: dt.datetime | None
    expires_at: dt.datetime | None
    expired: bool


def pending_invitations(company_id, *, now: dt.datetime | None = None) -> list[Invitation]:
    """The company's active users who never set a password (Django marks an unusable password
    with a leading "!"), by username, each with its newest link's issue and expiry times (the
    `PasswordLinkIssued` events on the users' streams: one query)."""
    now = now or timezone.now()
    invited = list(
        team_members(company_id).filter(
            is_active=True, password__startswith=UNUSABLE_PASSWORD_PREFIX
        )
    )
    issued = dict(
        Event.objects.filter(
            company_id=company_id,
            stream_type="user",
            event_type="PasswordLinkIssued",
            stream_id__in=[user.pk for user in invited],
        )
        .values("stream_id")
        .annotate(last=Max("recorded_at"))
        .values_list("stream_id", "last")
    )
    valid_for = dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    found = []
    for user in invited:
        at = issued.get(user.pk)
        expires = at + valid_for if at else None
        found.append(Invitation(user, at, expires, expires is None or expires < now))
    return found


def locked_out(company_id) -> set[str]:
    """The usernames of the company's team the login throttle holds locked now."""
    from .sign_ins import locked_out_usernames

    return locked_out_usernames(team_members(company_id).values_list("username", flat=True))


def api_keys(company_id) -> QuerySet[ApiKey]:
    """The company's API keys, active first, then by name, with their user's groups (`role`)."""
    return (
        ApiKey.objects.filter(company_id=company_id)
        .select_related("user")
        .prefetch_related("user__groups")
        .order_by(F("revoked_at").desc(nulls_first=True), "name")
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


# How many active Managers a company's controls need (the orders app registers its policy's
# answer: two with two-Manager approval on). Accounts sits below orders, so it asks through this
# hook rather than importing the policy.
MANAGERS_NEEDED: list = []


def managers_needed(company_id) -> tuple[int, str]:
    """(active Managers the company needs, why in words) — (1, "") without a registered hook."""
    found = [hook(company_id) for hook in MANAGERS_NEEDED]
    return max(found, default=(1, ""), key=lambda item: item[0])


def active_managers_after(company_id, user, *, leaving: bool) -> int:
    """The company's active Managers (people: a Manager API key is no Manager a second
    approval or the team page can rely on, as in `commands._keep_a_manager`) if `user`
    stopped being one (`leaving`), else now."""
    from .models import Role, User

    managers = User.objects.filter(
        company_id=company_id,
        is_active=True,
        groups__name=Role.MANAGER.value,
        api_key__isnull=True,
    )
    return managers.exclude(pk=user.pk).count() if leaving else managers.count()
