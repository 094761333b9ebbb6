"""The integrations pages' queries, always by the company."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from . import queue
from .models import DeliveryAttempt, WebhookEndpoint

LOG_SIZE = 50


def endpoints(company_id) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(company_id=company_id).order_by("created_at")


def endpoint(company_id, endpoint_id) -> WebhookEndpoint:
    """The company's endpoint; Http404 for another company's (or none)."""
    found = WebhookEndpoint.objects.filter(company_id=company_id, pk=endpoint_id).first()
    if found is None:
        raise Http404(_("No such webhook endpoint."))
    return found


def attempts(endpoint: WebhookEndpoint, *, limit: int = LOG_SIZE) -> list[DeliveryAttempt]:
    """The endpoint's delivery log, newest first."""
    return list(DeliveryAttempt.objects.filter(endpoint=endpoint).order_by("-attempted_at")[:limit])


def backlog(endpoint: WebhookEndpoint) -> dict:
    """How many events the endpoint is owed, and the first one's number and next try."""
    owed = queue.owed(endpoint)
    head = owed.first()
    return {
        "count": owed.count(),
        "head_number": head.data.get("number") if head else None,
        "next_attempt_at": head.next_attempt_at if head else None,
        "last_error": head.last_error if head else "",
    }
