"""Sending one owed event to one endpoint: a signed POST (Standard Webhooks) with a short
timeout and no redirects, recorded in the endpoint's delivery log; what happens next follows
from the answer (webhooks/subscriber.py calls `deliver_item` for each due outbox item)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from accounts.models import Role, User
from events.models import Event
from events.store import write_transaction
from outbox.models import OutboxItem
from projections.feed import event_document

from . import queue, safety, signing
from .commands import mark_disabled
from .exceptions import UnsafeUrl
from .models import DeliveryAttempt, WebhookEndpoint

logger = logging.getLogger("ledgerline.webhooks")
RESPONSE_HEAD_BYTES = 500


class HeldBack(Exception):
    """Not sent now (an earlier event first, or the endpoint is not enabled): retried later."""


class DeliveryFailed(Exception):
    """Sent and refused (status, timeout, connection): retried with back-off."""


@dataclasses.dataclass(frozen=True)
class Answer:
    status_code: int | None
    duration_ms: int
    head: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx is the answer, not a hop: we never follow one


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def post(url: str, body: str, headers: dict[str, str]) -> Answer:
    """POST `body` (JSON) to `url` with `headers`; never raises for the receiver's failures."""
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Ledgerline-Webhooks/1",
            **headers,
        },
    )
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            status, head, error = response.status, response.read(RESPONSE_HEAD_BYTES), ""
    except urllib.error.HTTPError as answer:
        status, head, error = answer.code, answer.read(RESPONSE_HEAD_BYTES), ""
    except (urllib.error.URLError, OSError, ValueError) as failure:
        status, head, error = None, b"", str(getattr(failure, "reason", failure))
    duration = int((time.monotonic() - started) * 1000)
    return Answer(status, duration, head.decode("utf-8", "replace"), error[:500])


def deliver_item(item: OutboxItem, *, now: dt.datetime) -> None:
    """Send `item` if it heads its endpoint's queue and the endpoint is enabled. Returns when
    the receiver took it (2xx); raises HeldBack or DeliveryFailed otherwise (the engine retries
    with the subscriber's back-off)."""
    endpoint = WebhookEndpoint.objects.get(pk=item.data["endpoint"])
    if endpoint.status != WebhookEndpoint.Status.ENABLED:
        raise HeldBack(f"The endpoint is {endpoint.get_status_display().lower()}.")
    first = queue.head(endpoint)
    if first is not None and first.pk != item.pk:
        raise HeldBack(f"Waiting for event {first.data['number']} to be delivered first.")
    row = Event.objects.get(id=item.event_id)
    body = json.dumps(event_document(row, item.data["number"]), separators=(",", ":"))
    try:
        safety.check_url(endpoint.url)
    except UnsafeUrl as refused:
        answer = Answer(None, 0, "", f"Not sent: {refused}")
    else:
        secret = signing.decrypt(endpoint.secret_encrypted)
        # Signed at the wall clock's time: receivers refuse a stale webhook-timestamp (the
        # spec's tolerance); `now` (injectable) only schedules and logs.
        sent_at = timezone.now()
        answer = post(endpoint.url, body, signing.headers(secret, str(row.id), body, sent_at))
    _log(endpoint, item, row, answer, now)
    if answer.ok:
        if endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        queue.release(endpoint, now, after_position=item.position)
        return
    if answer.status_code == 410:
        with write_transaction():
            reason = "The receiver answered 410 Gone."
            mark_disabled(endpoint, None, reason, WebhookEndpoint.Status.DISABLED)
        raise HeldBack(reason)
    _failed(endpoint, now)
    raise DeliveryFailed(answer.error or f"The receiver answered {answer.status_code}.")


def _log(endpoint, item, row, answer: Answer, now) -> None:
    DeliveryAttempt.objects.create(
        endpoint=endpoint,
        company_id=endpoint.company_id,
        event_id=row.id,
        event_number=item.data["number"],
        event_type=row.event_type,
        attempted_at=now,
        status_code=answer.status_code,
        duration_ms=answer.duration_ms,
        response_head=answer.head,
        error=answer.error,
    )


def _failed(endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    """A failed attempt at the head: start the failure streak, or after WEBHOOK_RETRY_FOR of it
    mark the endpoint failing (held until re-enabled) and tell the company's Managers."""
    if endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=now)
        return
    if now - endpoint.failing_since < settings.WEBHOOK_RETRY_FOR:
        return
    reason = (
        f"Deliveries failed for {settings.WEBHOOK_RETRY_FOR.days} days "
        f"(since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC)."
    )
    with write_transaction():
        mark_disabled(endpoint, None, reason, WebhookEndpoint.Status.FAILING)
    notify_managers(endpoint, reason)


def notify_managers(endpoint: WebhookEndpoint, reason: str) -> None:
    """E-mail the company's active Managers that the endpoint stopped (best effort: the
    `WebhookEndpointDisabled` event in the log is the record)."""
    managers = User.objects.filter(
        company_id=endpoint.company_id,
        is_active=True,
        groups__name=Role.MANAGER.value,
        api_key__isnull=True,
    ).exclude(email="")
    recipients = sorted(set(managers.values_list("email", flat=True)))
    if not recipients:
        return
    body = (
        f"Ledgerline stopped sending webhooks to {endpoint.url}.\n\n{reason}\n\n"
        "Nothing is lost: the events are kept in order. Fix the receiver, then enable the "
        f"endpoint on the integrations page to resume:\n{settings.SITE_URL}/integrations/"
        f"{endpoint.pk}/\n"
    )
    try:
        send_mail("A webhook endpoint is failing", body, None, recipients)
    except Exception:  # a mail server problem must not stop the worker
        logger.exception("webhook_failing_mail_not_sent endpoint=%s", endpoint.pk)
