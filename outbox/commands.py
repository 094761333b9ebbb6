"""The ops desk's writes: retry or skip a parked item, each recorded as an event."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.utils import timezone

from events import store

from .events import OUTBOX_ITEM_STREAM, OutboxItemRetried, OutboxItemSkipped
from .exceptions import ItemNotFound, ItemNotParked, OutboxNotPermitted
from .models import OutboxItem

OPS_PERMISSION = "orders.view_ops_desk"


def retry_item(*, actor, item_id, now=None) -> OutboxItem:
    """Put a parked item back in the queue, due now, its attempts from zero (event
    `OutboxItemRetried`). Raises OutboxNotPermitted, ItemNotFound (another company's too),
    ItemNotParked."""
    now = now or timezone.now()
    with store.write_transaction():
        item = _parked_item(actor, item_id)
        _record(item, actor, OutboxItemRetried)
        OutboxItem.objects.filter(pk=item.pk).update(
            status=OutboxItem.Status.PENDING, attempts=0, next_attempt_at=now, parked_at=None
        )
    item.refresh_from_db()
    return item


def skip_item(*, actor, item_id, now=None) -> OutboxItem:
    """Give a parked item up: it is never delivered (event `OutboxItemSkipped`); a subscriber
    stopped at it goes on. Raises as `retry_item`."""
    with store.write_transaction():
        item = _parked_item(actor, item_id)
        _record(item, actor, OutboxItemSkipped)
        OutboxItem.objects.filter(pk=item.pk).update(
            status=OutboxItem.Status.SKIPPED, done_at=now or timezone.now()
        )
    item.refresh_from_db()
    return item


def _parked_item(actor, item_id) -> OutboxItem:
    """The actor's company's item (another company's is not found, whoever asks: a 404 before
    a 403), if the actor may act on it and it is parked."""
    try:
        item = OutboxItem.objects.filter(pk=uuid.UUID(str(item_id)), company_id=actor.company_id)
        item = item.first() if actor.company_id is not None else None
    except (ValueError, ValidationError):
        item = None
    if item is None:
        raise ItemNotFound()
    if not actor.has_perm(OPS_PERMISSION):
        raise OutboxNotPermitted()
    if item.status != OutboxItem.Status.PARKED:
        raise ItemNotParked(item.get_status_display().lower())
    return item


def _record(item: OutboxItem, actor, event_class) -> None:
    event = event_class(subscriber=item.subscriber, summary=item.summary, reason=item.last_error)
    store.append_at_end(
        item.pk,
        [event],
        company=item.company_id,
        actor=actor,
        stream_type=OUTBOX_ITEM_STREAM,
    )
