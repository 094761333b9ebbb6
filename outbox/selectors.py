"""What the ops desk and the order history read about subscriptions: positions and lag per
company, parked items, the workers' heartbeats, the side effects done for a stream."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.db.models import Count, Q

from events.models import Event

from . import engine
from .models import OutboxItem, SubscriberCheckpoint, WorkerHeartbeat

LAG_COUNTED_UP_TO = 10_000  # a lag above this is shown as "more than"


@dataclasses.dataclass
class SubscriptionStatus:
    name: str
    order_matters: bool
    position: int | None  # None: the worker has not run it for the company yet
    lag: int  # the company's events after the checkpoint (up to LAG_COUNTED_UP_TO + 1)
    waiting_since: dt.datetime | None  # when the oldest of them was recorded
    pending: int
    parked: int
    failing: str  # the handler's last error while it retries ("" when fine)
    number: int | None = None  # the checkpoint as the company's event number (set by pages)

    @property
    def lag_more_than_counted(self) -> bool:
        return self.lag > LAG_COUNTED_UP_TO


def subscriptions(company_id) -> list[SubscriptionStatus]:
    """Every registered subscriber's state for one company."""
    checkpoints = {
        cp.subscriber: cp for cp in SubscriberCheckpoint.objects.filter(company_id=company_id)
    }
    counts = {
        row["subscriber"]: row
        for row in OutboxItem.objects.filter(company_id=company_id)
        .values("subscriber")
        .annotate(
            pending=Count("pk", filter=Q(status=OutboxItem.Status.PENDING)),
            parked=Count("pk", filter=Q(status=OutboxItem.Status.PARKED)),
        )
    }
    statuses = []
    for sub in engine.subscribers():
        cp = checkpoints.get(sub.name)
        after = Event.objects.filter(company_id=company_id, position__gt=cp.position if cp else 0)
        oldest = after.order_by("position").values_list("recorded_at", flat=True).first()
        statuses.append(
            SubscriptionStatus(
                name=sub.name,
                order_matters=sub.order_matters,
                position=cp.position if cp else None,
                lag=after[: LAG_COUNTED_UP_TO + 1].count(),
                waiting_since=oldest,
                pending=counts.get(sub.name, {}).get("pending", 0),
                parked=counts.get(sub.name, {}).get("parked", 0),
                failing=cp.last_error if cp else "",
            )
        )
    return statuses


def parked_items(company_id, *, limit: int = 50) -> list[OutboxItem]:
    """The company's parked items, oldest first (what the ops desk offers to retry or skip)."""
    items = OutboxItem.objects.filter(company_id=company_id, status=OutboxItem.Status.PARKED)
    return list(items.order_by("parked_at", "position")[:limit])


@dataclasses.dataclass
class WorkerState:
    last_seen: dt.datetime | None
    running: int  # workers seen within WORKER_SILENT_AFTER_SECONDS and not stopped
    silent: bool  # no worker has checked in recently: nothing is being sent


def workers(now: dt.datetime) -> WorkerState:
    since = now - dt.timedelta(seconds=settings.WORKER_SILENT_AFTER_SECONDS)
    beats = WorkerHeartbeat.objects.all()
    last = beats.order_by("-seen_at").values_list("seen_at", flat=True).first()
    running = beats.filter(seen_at__gte=since, stopped_at__isnull=True).count()
    return WorkerState(last_seen=last, running=running, silent=running == 0)


def done_for_stream(company_id, stream_id) -> list[OutboxItem]:
    """Side effects done for a stream (an order's mails), oldest first: when and to whom (the
    item's summary names the user and role, never an address)."""
    items = OutboxItem.objects.filter(
        company_id=company_id, stream_id=stream_id, status=OutboxItem.Status.DONE
    ).exclude(kind=OutboxItem.Kind.HANDLE)
    return list(items.order_by("done_at").only("subscriber", "summary", "done_at"))
