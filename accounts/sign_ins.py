"""Sign-ins, failed sign-ins and lockouts of a company's users in the company's event log
(issue #32).

- A successful sign-in (password or single sign-on) is a `UserSignedIn`, the user its actor.
- Failed sign-ins with an existing company user's username come in bursts (typos, a forgotten
  password, someone guessing). A burst is ONE entry, `UserSignInsFailed` with a count: it starts
  at a failure and takes in every failure within `BURST_WINDOW` of its first (the login
  throttle's cool-off, `AXES_COOLOFF_TIME`, 15 minutes by default: the same span in which the
  throttle counts failures towards a lock). The log is append-only, so the entry is written when
  the burst closes: at the user's next successful sign-in, at the first failure after the
  window, or by the worker (`BurstCloser`, each poll) once the window has passed. Its time is
  the burst's first failure (the recorded time says when it was written). A failure with a
  username nobody has is in no company's log (it belongs to no company).
- A lockout by the throttle is a `UserLockedOut` at once; one per lock, however often the
  locked door is tried meanwhile (those tries are failures and count in the burst).

Nothing secret is recorded: no password, no address, no User-Agent. The events go on the user's
sign-in stream (`SIGN_IN_STREAM`, `sign_in_stream_id`), never on the user's own stream, whose
version binds the set-password links: a stranger's typos must not void an invitation.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.utils import timezone

from events import store
from outbox import engine

from .events import SIGN_IN_STREAM, UserLockedOut, UserSignedIn, UserSignInsFailed, UserUnlocked
from .models import SignInBurst, User

# A namespace of our own for the sign-in streams' ids (uuid5 of the user's id in it).
_SIGN_IN_NAMESPACE = uuid.UUID("6f1d4a52-3c1e-4f0e-9a55-2b8f5d7c9e11")
DISPATCH_UID = "ledgerline.sign_ins"  # the signal receivers' (apps.py)
SSO_BACKEND = "sso.backends.CompanyOIDCBackend"


def burst_window() -> dt.timedelta:
    """How long after its first failure a burst takes in more (the throttle's cool-off)."""
    hours = settings.AXES_COOLOFF_TIME if settings.AXES_COOLOFF_TIME else 0.25
    return dt.timedelta(hours=hours)


def sign_in_stream_id(user_id) -> uuid.UUID:
    """The id of the stream holding `user_id`'s sign-ins (stable, derived, no table)."""
    return uuid.uuid5(_SIGN_IN_NAMESPACE, str(user_id))


def record_sign_in(*, user, backend: str = "", now: dt.datetime | None = None) -> None:
    """Close the user's open burst of failures (if any), then record the sign-in."""
    if user.company_id is None:
        return  # platform operators belong to no company's log
    now = now or timezone.now()
    method = "single sign-on" if backend == SSO_BACKEND else "password"
    with store.write_transaction():
        burst = SignInBurst.objects.select_for_update().filter(user=user).first()
        if burst is not None:
            _close(burst, user)
            burst.delete()
        _append(user, UserSignedIn(username=user.username, method=method), actor=user)


def record_failure(*, username: str, now: dt.datetime | None = None) -> None:
    """Count a failed sign-in with `username` in its user's open burst (a new burst after the
    window, the old one recorded first). Unknown usernames and platform operators: nothing."""
    now = now or timezone.now()
    with store.write_transaction():
        user = _company_user(username)
        if user is None:
            return
        burst, _ = SignInBurst.objects.select_for_update().get_or_create(user=user)
        if burst.failures and now - burst.first_failed_at >= burst_window():
            _close(burst, user)
        if not burst.failures:
            burst.first_failed_at = now
        burst.failures += 1
        burst.last_failed_at = now
        burst.save()


def record_lockout(*, username: str, scope: str, now: dt.datetime | None = None) -> None:
    """Record that the throttle locked `username` out, unless this lock is recorded already
    (a lock lasts `burst_window()`; each try at a locked door signals again)."""
    now = now or timezone.now()
    with store.write_transaction():
        user = _company_user(username)
        if user is None:
            return
        burst, _ = SignInBurst.objects.select_for_update().get_or_create(user=user)
        if burst.locked_out_at is not None and now - burst.locked_out_at < burst_window():
            return
        burst.locked_out_at = now
        burst.save(update_fields=["locked_out_at"])
        minutes = round(burst_window().total_seconds() / 60)
        _append(user, UserLockedOut(username=user.username, scope=scope, minutes=minutes))


def locked_out_usernames(usernames) -> set[str]:
    """Which of `usernames` the throttle holds locked now (django-axes' records: as many
    failures as `AXES_FAILURE_LIMIT` from one address within the cool-off)."""
    from axes.models import AccessAttempt  # not importable before the apps load

    attempts = AccessAttempt.objects.filter(
        username__in=list(usernames), failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    )
    if settings.AXES_COOLOFF_TIME:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - burst_window())
    return set(attempts.values_list("username", flat=True))


def unlocked(user, *, actor, attempts: int) -> None:
    """Record that `actor` lifted `user`'s lock (inside the caller's write transaction); the
    next lock is recorded afresh."""
    SignInBurst.objects.filter(user=user).update(locked_out_at=None)
    _append(user, UserUnlocked(username=user.username, attempts=attempts), actor=actor)


def close_due_bursts(*, company_id, now: dt.datetime | None = None) -> int:
    """Record every burst of the company whose window has passed; returns how many."""
    now = now or timezone.now()
    closed = 0
    with store.write_transaction():
        due = SignInBurst.objects.select_for_update().filter(
            user__company_id=company_id,
            failures__gt=0,
            first_failed_at__lte=now - burst_window(),
        )
        for burst in due.select_related("user"):
            _close(burst, burst.user)
            burst.save()
            closed += 1
    return closed


def bursts_due(company_id, now: dt.datetime) -> bool:
    """Whether the company has a burst to close (a cheap read, for the worker's poll)."""
    return SignInBurst.objects.filter(
        user__company_id=company_id, failures__gt=0, first_failed_at__lte=now - burst_window()
    ).exists()


def _close(burst: SignInBurst, user) -> None:
    """Append the burst as one entry (time: its first failure) and empty it (not saved)."""
    if burst.failures:
        failed = UserSignInsFailed(
            username=user.username,
            failures=burst.failures,
            first_at=burst.first_failed_at.astimezone(dt.UTC).isoformat(),
            last_at=burst.last_failed_at.astimezone(dt.UTC).isoformat(),
        )
        _append(user, failed, occurred_at=burst.first_failed_at)
    burst.failures, burst.first_failed_at, burst.last_failed_at = 0, None, None


def _company_user(username: str) -> User | None:
    if not isinstance(username, str) or not username:
        return None
    return (
        User.objects.filter(username=username, company__isnull=False, api_key__isnull=True)
        .only("pk", "username", "company_id")
        .first()
    )


def _append(user, event, *, actor=None, occurred_at=None) -> None:
    stream_id = sign_in_stream_id(user.pk)
    store.append_at_end(
        stream_id,
        [event],
        company=user.company_id,
        actor=actor,
        stream_type=SIGN_IN_STREAM,
        occurred_at=occurred_at,
    )


# --- the hooks: Django's and django-axes' signals, and the worker's poll ---------------------


def on_logged_in(sender, request=None, user=None, **kwargs) -> None:
    """`user_logged_in` receiver (also single sign-on: mozilla-django-oidc calls `login`)."""
    record_sign_in(user=user, backend=getattr(user, "backend", "") or "")


def on_login_failed(sender, credentials=None, request=None, **kwargs) -> None:
    """`user_login_failed` receiver: `credentials` is cleansed (no password) by Django."""
    record_failure(username=(credentials or {}).get("username") or "")


def on_locked_out(sender, request=None, username=None, **kwargs) -> None:
    """django-axes' `user_locked_out` receiver: the username's lock, or its address's."""
    from .login_throttle import address_locked  # axes' models: not importable before apps load

    scope = "address" if request is not None and address_locked(request) else "user"
    record_lockout(username=username or "", scope=scope)


class BurstCloser(engine.Subscriber):
    """Records the bursts whose window has passed, each poll of the worker (no events read)."""

    name = "sign_in_bursts"
    event_types = ()

    def tick_due(self, company_id, now) -> bool:
        return bursts_due(company_id, now)

    def tick(self, company_id, now, outbox) -> None:
        close_due_bursts(company_id=company_id, now=now)
