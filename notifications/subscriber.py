"""The notifier: a subscriber of the log (outbox engine) that tells people what concerns them.

Decided per event, inside the transaction that moves its checkpoint: who is concerned (by
permission and by the order's placer, always within the event's company), what each chose
(at once → one mail owed, keyed `<event id>:<user id>`; daily digest → a `DigestEntry`;
never → nothing). What a mail says is fixed at that moment (item data), so a retry sends the
same mail. Mails are not events: the outbox's "done" record of each mail (when, to whom by
user and role, never the address) is what the order's history shows.

Order does not matter between mails (`order_matters = False`): one mail parked past its
retries does not hold back the others.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.commands import RESET_REQUEST, issue_reset_links, password_link_path
from accounts.language import recipient_language
from accounts.locale import company_zone, user_zone
from accounts.models import Company, User
from accounts.tokens import link_validity
from common import money
from events.models import Event
from events.sealing import ERASED
from orders.selectors import stuck_orders
from outbox import engine
from outbox.models import OutboxItem
from projections.models import OrderSummary

from . import kinds, mail
from .kinds import Choice
from .models import DigestEntry, DigestRun, NotificationPreference

PERMISSIONS_BACKEND = "accounts.backends.CompanyUserBackend"

# Subjects are translated when the mail is sent, in the recipient's language (`subject_of`).
SUBJECTS = {
    "OrderSubmitted": _("{number} waits for your approval"),
    "OrderAmended": _("{number} was amended and waits for your approval"),
    "OrderRejected": _("{number} was rejected"),
    "OrderHeld": _("{number} was put on hold"),
    "OrderDelivered": _("{number} was delivered"),
    "OrderCancelled": _("{number} was cancelled"),
    "UserRoleChanged": _("your role changed"),
    "UserDeactivated": _("your account was deactivated"),
}
DIGEST_SUBJECT = _("your daily digest for {day}")


def preference(user, kind: kinds.Kind) -> Choice:
    """The user's choice for `kind`, or its default (a stored choice no longer offered for the
    kind falls back to the default too)."""
    stored = (
        NotificationPreference.objects.filter(user=user, kind=kind.key)
        .values_list("choice", flat=True)
        .first()
    )
    return Choice(stored) if stored in kind.choices else kind.default


class Notifier(engine.Subscriber):
    name = "notifier"
    event_types = frozenset(kinds.EVENT_KINDS)
    order_matters = False
    start = "head"
    platform_items = True  # password-reset requests: an address, no company yet

    @property
    def max_attempts(self) -> int:
        return settings.NOTIFY_MAX_ATTEMPTS

    def backoff(self, attempts: int) -> dt.timedelta:
        first = settings.NOTIFY_RETRY_FIRST_SECONDS
        return dt.timedelta(seconds=min(first * 2 ** (attempts - 1), 3600))

    # --- deciding, in the checkpoint's transaction ---------------------------------------------

    def handle(self, event, outbox):
        kind = kinds.EVENT_KINDS[event.event_type]
        for user in recipients(kind, event):
            choice = preference(user, kind)
            if choice == Choice.NEVER:
                continue
            data = message_data(kind, event, user)
            if choice == Choice.DIGEST:
                DigestEntry.objects.get_or_create(
                    user=user,
                    event_id=event.id,
                    defaults={
                        "company_id": event.company_id,
                        "kind": kind.key,
                        "data": data,
                        "created_at": outbox.now,
                    },
                )
                continue
            outbox.add(
                f"{event.id}:{user.pk}",
                data,
                summary=f"{data['subject']} → {user.username} ({data['role'] or 'no role'})",
                stream_id=event.stream_id,
            )

    def tick_due(self, company_id, now) -> bool:
        """From NOTIFY_DIGEST_HOUR (the company's local time) until the company's digest of the
        day is made."""
        day = _digest_day(now, company_id)
        return day is not None and not DigestRun.objects.filter(company_id=company_id, day=day)

    def tick(self, company_id, now, outbox):
        """The daily digest, once per company and local day (DigestRun is unique per day, and
        the company's lease keeps a second worker out meanwhile)."""
        day = _digest_day(now, company_id)
        if day is None or DigestRun.objects.filter(company_id=company_id, day=day).exists():
            return
        DigestRun.objects.create(company_id=company_id, day=day, made_at=now)
        make_digests(company_id, day, now, outbox)

    # --- sending, outside any transaction ------------------------------------------------------

    def deliver(self, item: OutboxItem) -> None:
        data = item.data
        if data.get("kind") == RESET_REQUEST:
            issue_reset_links(email=data["email"], request_key=item.key)
            return
        user = User.objects.filter(pk=data.get("user_id"), company_id=item.company_id).first()
        if user is None or not user.email:
            return  # nobody to send to any more: done, nothing sent
        if data["kind"] == "password_link":
            send_password_link(item, user)
            return
        if not user.is_active and data["kind"] != kinds.ACCESS.key:
            return
        template = "digest" if data["kind"] == "digest" else data["kind"]
        # In the recipient's language (as chosen; else the site's) and time zone.
        with translation.override(user.language or None), timezone.override(user_zone(user)):
            self._send(template, data, user, item)

    @staticmethod
    def _send(template, data, user, item) -> None:
        mail.send(
            template=template,
            subject=subject_of(data),
            context={"data": data, "user": user, "company": data.get("company", "")},
            to=user.email,
            key=item.key,
            event_id=str(item.event_id or ""),
            language=recipient_language(user),
        )


def subject_of(data: dict):
    """The mail's subject, lazily translated (rendered in the recipient's language by
    `mail.send`); the item's own English `subject` for data this version does not know."""
    if data.get("kind") == "digest" and data.get("day"):
        return _lazy_format(DIGEST_SUBJECT, day=data["day"])
    if data.get("event_type") in SUBJECTS:
        return _lazy_format(SUBJECTS[data["event_type"]], number=data.get("number", ""))
    return data.get("subject", "")


# `template.format(**values)`, made when turned into text (in the language active then).
_lazy_format = lazy(lambda template, **values: str(template).format(**values), str)


def _digest_day(now: dt.datetime, company_id) -> dt.date | None:
    """Today's date in the company's time zone once its digest hour has come there, else None
    (issue #29: a company in New York gets its digest at 07:00 New York time)."""
    company = Company.objects.filter(pk=company_id).only("time_zone").first()
    local = now.astimezone(company_zone(company))
    return local.date() if local.hour >= settings.NOTIFY_DIGEST_HOUR else None


# --- who is concerned, and what the mail says --------------------------------------------------


def recipients(kind: kinds.Kind, event) -> list[User]:
    """The users of the event's company concerned by it (never its actor, never without an
    address). Approval: whoever may approve. Order outcomes: who placed the order. Access: the
    user the event is about (even deactivated: that is the news)."""
    actor_id = event.metadata.get("actor_id")
    users = User.objects.filter(company_id=event.company_id).exclude(email="")
    if actor_id:
        users = users.exclude(pk=actor_id)
    if kind is kinds.APPROVAL:
        # The backend that decides permissions everywhere (accounts/backends.py).
        may = User.objects.with_perm(
            kind.permission, include_superusers=False, backend=PERMISSIONS_BACKEND
        )
        users = users.filter(pk__in=may)
        return list(users.filter(is_active=True))
    if kind is kinds.ACCESS:
        return list(users.filter(pk=event.stream_id))
    placed = Event.objects.filter(stream_id=event.stream_id, version=1).first()
    placer = placed.metadata.get("actor_id") if placed else None
    return list(users.filter(pk=placer, is_active=True)) if placer else []


def message_data(kind: kinds.Kind, event, user) -> dict:
    """Everything the mail says, fixed when the event is handled (JSON)."""
    actor = User.objects.filter(pk=event.metadata.get("actor_id")).first()
    data = {
        "kind": kind.key,
        "user_id": str(user.pk),
        "username": user.username,
        "role": user.role,
        "event_type": event.event_type,
        "label": english(event.data.label),  # the msgid: translated when the mail is sent
        "actor": (actor.get_full_name() or actor.username) if actor else "Ledgerline",
        "reason": getattr(event.data, "reason", ""),
        "company": Company.objects.filter(pk=event.company_id).values_list("name", flat=True)[0],
        "occurred_at": event.occurred_at.isoformat(),
    }
    if event.stream_type == "order":
        order = OrderSummary.objects.filter(pk=event.stream_id, company_id=event.company_id)
        order = order.values("number", "customer_name", "total_cents", "currency").first() or {}
        data |= {
            "order_id": str(event.stream_id),
            "number": order.get("number", ""),
            "customer": order.get("customer_name", ""),
            "total": money.shown(order.get("total_cents", 0), order.get("currency", "")),
            # Formatted when the mail is written, in the recipient's locale (issue #29).
            "total_cents": order.get("total_cents", 0),
            "currency": order.get("currency", ""),
            "path": reverse("orders:detail", args=[event.stream_id]),
        }
    else:
        data |= {
            "from_role": getattr(event.data, "from_role", ""),
            "to_role": getattr(event.data, "to_role", ""),
            "path": reverse("login"),
        }
    data["subject"] = english(SUBJECTS[event.event_type]).format(number=data.get("number", ""))
    return data


def english(text) -> str:
    """`text` (a lazy translation) as written in the code: what is stored in item data and
    digest entries, so each mail is translated into its recipient's language when sent."""
    with translation.override(None):
        return str(text)


def make_digests(company_id, day: dt.date, now: dt.datetime, outbox) -> None:
    """One digest mail owed per user with something in it: their digest entries and, for those
    who chose it, the company's stuck orders."""
    stuck = stuck_orders(company_id, now=now, limit=50)
    rows = [
        {**row, "id": str(row["id"]), "state_since": row["state_since"].isoformat()}
        for row in stuck["rows"]
    ]
    entries = DigestEntry.objects.filter(company_id=company_id, digest_key="").order_by(
        "created_at"
    )
    by_user: dict = {}
    for entry in entries:
        by_user.setdefault(entry.user_id, []).append(entry)
    company = Company.objects.filter(pk=company_id).values_list("name", flat=True).first()
    users = User.objects.filter(company_id=company_id, is_active=True).exclude(email="")
    for user in users.order_by("username"):
        wants_stuck = (
            stuck["count"]
            and kinds.offered(kinds.STUCK, user)
            and preference(user, kinds.STUCK) == Choice.DIGEST
        )
        mine = by_user.get(user.pk, [])
        if not mine and not wants_stuck:
            continue
        key = f"digest:{day.isoformat()}:{user.pk}"
        data = {
            "kind": "digest",
            "user_id": str(user.pk),
            "username": user.username,
            "role": user.role,
            "day": day.isoformat(),
            "company": company,
            "subject": english(DIGEST_SUBJECT).format(day=day.isoformat()),
            "entries": [entry.data for entry in mine],
            "stuck": rows if wants_stuck else [],
            "stuck_count": stuck["count"] if wants_stuck else 0,
            "stuck_after_days": settings.STUCK_AFTER_DAYS,
        }
        if outbox.add(key, data, summary=f"Daily digest → {user.username} ({user.role})"):
            DigestEntry.objects.filter(pk__in=[entry.pk for entry in mine]).update(digest_key=key)


def send_password_link(item: OutboxItem, user: User) -> None:
    """A set-password mail queued by a request (see README "Queuing a set-password mail"):
    the link is made now, so it is the newest; a link queued later for the same user voids
    this one (nothing sent), and so does deactivation."""
    newer = OutboxItem.objects.filter(
        subscriber=item.subscriber,
        company_id=item.company_id,
        data__kind="password_link",
        data__user_id=str(user.pk),
        created_at__gt=item.created_at,
    )
    if not user.is_active or newer.exists():
        return
    invitation = item.data.get("purpose") == "invitation"
    mail.send(
        template="password_link",
        language=recipient_language(user),
        subject=_("set your password") if invitation else _("reset your password"),
        context={
            "user": user,
            "invitation": invitation,
            "company": user.company.name,
            "url": mail.site_url()
            + password_link_path(user, "set_password" if invitation else "password_reset_confirm"),
            "valid_for": lazy(link_validity, str)(),  # in the recipient's language
        },
        to=user.email,
        key=item.key,
    )


def scrub_erased(company_id, order_ids) -> int:
    """An erasure (events.erasure): the customer's name leaves the digest lines and the digest
    mails that copied it for these orders. Returns how many rows changed."""
    ids = {str(order_id) for order_id in order_ids}
    changed = 0
    for entry in DigestEntry.objects.filter(company_id=company_id).only("id", "data"):
        if entry.data.get("order_id") in ids and entry.data.get("customer") != ERASED:
            entry.data["customer"] = ERASED
            DigestEntry.objects.filter(pk=entry.pk).update(data=entry.data)
            changed += 1
    digests = OutboxItem.objects.filter(
        company_id=company_id, subscriber=Notifier.name, key__startswith="digest:"
    )
    for item in digests.only("id", "data"):
        hit = False
        for entry in item.data.get("entries", []):
            if entry.get("order_id") in ids and entry.get("customer") != ERASED:
                entry["customer"], hit = ERASED, True
        for row in item.data.get("stuck", []):
            if row.get("id") in ids and row.get("customer_name") != ERASED:
                row["customer_name"], hit = ERASED, True
        if hit:
            OutboxItem.objects.filter(pk=item.pk).update(data=item.data)
            changed += 1
    return changed
