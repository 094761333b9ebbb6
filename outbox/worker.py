"""The worker process (`manage.py run_worker`): runs every subscriber for every company whose
lease it holds, wakes within about a second of a commit, stops cleanly on SIGTERM/SIGINT.

Several workers (processes or machines) share the work company by company: PostgreSQL gives
each company to the worker whose session holds its advisory lock (`outbox.postgres`); SQLite
to the worker holding an unexpired `Lease` row, renewed every round (a worker that dies loses
it after `lease_seconds`, which is longer than any single side effect may take).

Two clocks: `now` (wall clock, timezone-aware) for what is stored and compared with stored
times (a lease's expiry, heartbeats, due items); `monotonic` (seconds, `time.monotonic`) for
the intervals this process measures itself (renew a lease, the idle round, the heartbeat), so
a wall clock stepped back or forward (NTP, a VM resumed) neither stalls nor hurries them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from events.models import Event
from events.store import head_position

from . import engine, postgres
from .models import Lease, SubscriberCheckpoint, WorkerHeartbeat

logger = logging.getLogger("ledgerline.worker")


Monotonic = Callable[[], float]


class Leases:
    """The companies this worker owns. `acquire(company_id)` → True while it is this worker's."""

    def __init__(
        self,
        owner: str,
        *,
        now: engine.Clock,
        lease_seconds: float,
        monotonic: Monotonic = time.monotonic,
    ):
        self.owner, self.now, self.lease_seconds = owner, now, lease_seconds
        self.monotonic = monotonic
        self.held: set[uuid.UUID] = set()
        self.renewed_at: dict[uuid.UUID, float] = {}  # `monotonic()` of the last renewal
        self.postgres = connection.vendor == "postgresql"

    def acquire(self, company_id: uuid.UUID) -> bool:
        if self.postgres:
            if company_id not in self.held and postgres.try_lock_company(company_id):
                self.held.add(company_id)
            return company_id in self.held
        ticks = self.monotonic()
        renewed = self.renewed_at.get(company_id)
        if company_id in self.held and renewed is not None and self._fresh(renewed, ticks):
            return True  # renewed less than a third of a lease ago: no write this round
        now = self.now()
        until = now + dt.timedelta(seconds=self.lease_seconds)
        name = f"company:{company_id}"
        with transaction.atomic():  # BEGIN IMMEDIATE on SQLite: one lease writer at a time
            taken = Lease.objects.filter(
                Q(owner=self.owner) | Q(expires_at__lte=now), name=name
            ).update(owner=self.owner, expires_at=until)
            if not taken and not Lease.objects.filter(name=name).exists():
                Lease.objects.create(name=name, owner=self.owner, expires_at=until)
                taken = 1
        if taken:
            self.held.add(company_id)
            self.renewed_at[company_id] = ticks
        else:
            self.held.discard(company_id)
            self.renewed_at.pop(company_id, None)
        return bool(taken)

    def keep(self, company_id: uuid.UUID) -> None:
        """Before a side effect: renew the lease once a third of it has passed; raise
        `engine.LeaseLost` if it was taken over (it had expired)."""
        if self.postgres:
            return  # the session holds its advisory lock until it ends
        if not self.acquire(company_id):
            raise engine.LeaseLost(f"the lease of company {company_id} was taken over")

    def _fresh(self, renewed: float, ticks: float) -> bool:
        return ticks - renewed < self.lease_seconds / 3

    def release_all(self) -> None:
        if self.postgres:
            for company_id in self.held:
                postgres.unlock_company(company_id)
        else:
            Lease.objects.filter(owner=self.owner).update(expires_at=self.now())
        self.held.clear()
        self.renewed_at.clear()

    def forget(self) -> None:
        """After a lost connection: PostgreSQL dropped the session's locks with it."""
        if self.postgres:
            self.held.clear()


class Worker:
    """One worker process's loop. `run()` until `stop()` (or SIGTERM/SIGINT with `run_forever`)."""

    def __init__(
        self,
        *,
        now: engine.Clock = timezone.now,
        monotonic: Monotonic = time.monotonic,
        poll_seconds: float | None = None,
        lease_seconds: float | None = None,
        heartbeat_seconds: float = 5.0,
    ):
        self.now, self.monotonic = now, monotonic
        self.poll_seconds = poll_seconds or settings.WORKER_POLL_SECONDS
        self.lease_seconds = lease_seconds or settings.WORKER_LEASE_SECONDS
        self.heartbeat_seconds = heartbeat_seconds
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leases = Leases(
            self.name, now=now, lease_seconds=self.lease_seconds, monotonic=monotonic
        )
        self._stopping = threading.Event()
        self._last_beat: float | None = None  # `monotonic()` of the last heartbeat written
        self._listener = None
        self.started_at = now()
        # What a round must visit (`_companies`): the log's head the last round saw, the
        # companies whose last round did work (a batch limit may have cut it short), and when
        # the last full round ran (`monotonic()`).
        self._seen_head: int | None = None
        self._unfinished: set[uuid.UUID] = set()
        self._full_round_at: float | None = None

    def stop(self, *_args) -> None:
        """Finish the item in hand, then leave the loop (a signal handler)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run_forever(self) -> None:
        """The process's main loop: signals stop it cleanly; leases are released on the way out."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        if connection.vendor == "postgresql":
            self._listener = postgres.Listener()
        logger.info("worker %s started: %s", self.name, [s.name for s in engine.subscribers()])
        try:
            while not self.stopping:
                try:
                    busy = self.run_once()
                except DatabaseError:
                    logger.exception("worker %s: database error; reconnecting", self.name)
                    connection.close()
                    self.leases.forget()
                    busy = False
                if not busy:
                    self._wait()
        finally:
            self._shut_down()

    def run_once(self) -> bool:
        """One round over the companies that can have work and whose lease this worker holds.
        True if there was work.

        A full round asks every subscriber of every company a few statements each, and a commit
        concerns one company. So a round visits only what `_companies` says can have work: the
        companies with events committed since the last round and those whose last round was cut
        short; every company when something is due, and a sixth of a lease after the last full
        round. An idle round is two or three indexed reads whatever the number of companies."""
        self.heartbeat()
        head = head_position()
        companies, full = self._companies(head)
        did_work: set[uuid.UUID] = set()
        elsewhere: set[uuid.UUID] = set()  # another worker's lease or lock
        for company_id in companies:
            if self.stopping:
                break
            if not self.leases.acquire(company_id):
                elsewhere.add(company_id)
                continue
            for sub in engine.subscribers():
                if self.stopping:
                    break
                if company_id == engine.PLATFORM and not sub.platform_items:
                    continue
                try:
                    done = engine.run_company(
                        sub,
                        company_id,
                        now=self.now,
                        keep_lease=lambda company_id=company_id: self.leases.keep(company_id),
                    )
                    if done > 0:
                        did_work.add(company_id)
                except engine.LeaseLost:
                    logger.warning("worker %s lost %s's lease", self.name, company_id)
                    self.leases.held.discard(company_id)
                    break
        # Events committed during this round are above `head`: the next round sees them. A
        # company held by another worker with events not yet handled stays on the list: if that
        # worker stops (or dies) before handling them, this one takes them up on its next poll,
        # not a sixth of a lease later; the list empties once the holder has caught up.
        behind = companies_behind(elsewhere, upto=head) if elsewhere else set()
        self._seen_head, self._unfinished = head, did_work | behind
        if full:
            self._full_round_at = self.monotonic()
        return bool(did_work)

    def _companies(self, head: int) -> tuple[list[uuid.UUID], bool]:
        """The companies this round visits, and whether that is all of them (a full round).

        Full: the first round; a sixth of a lease after the last full one (full rounds renew
        leases, take over expired ones and run the subscribers' time-driven ticks, which are
        therefore at most that late); and when an outbox item or a failed handling is due
        anywhere. Otherwise the companies of the events committed since the last round, the
        companies whose last round did work (a batch limit may have left more) and those another
        worker held with events it had not handled yet (it may have stopped since)."""
        stale = (
            self._full_round_at is None
            or self.monotonic() - self._full_round_at >= self.lease_seconds / 6
        )
        if stale or engine.anything_due(self.now()):
            return [engine.PLATFORM, *company_ids()], True
        visit = set(self._unfinished)
        if head != self._seen_head:
            visit.update(companies_with_events(after=self._seen_head, upto=head))
        return sorted(visit), False

    def heartbeat(self, *, stopped: bool = False) -> None:
        ticks = self.monotonic()
        if (
            not stopped
            and self._last_beat is not None
            and ticks - self._last_beat < self.heartbeat_seconds
        ):
            return
        self._last_beat, now = ticks, self.now()
        WorkerHeartbeat.objects.update_or_create(
            worker=self.name,
            defaults={
                "hostname": socket.gethostname(),
                "pid": os.getpid(),
                "started_at": self.started_at,
                "seen_at": now,
                "stopped_at": now if stopped else None,
            },
        )

    def _wait(self) -> None:
        if self._listener is not None:
            self._listener.wait(min(self.poll_seconds * 2, 1.0))
        else:
            self._stopping.wait(self.poll_seconds)

    def _shut_down(self) -> None:
        try:
            self.leases.release_all()
            self.heartbeat(stopped=True)
        except DatabaseError:
            logger.exception("worker %s: could not release its leases", self.name)
        if self._listener is not None:
            self._listener.close()
        logger.info("worker %s stopped", self.name)


def company_ids() -> list[uuid.UUID]:
    """Every company (read through the log's foreign key: this floor does not import accounts)."""
    company = Event._meta.get_field("company").related_model
    return list(company.objects.order_by("pk").values_list("pk", flat=True))


def companies_with_events(*, after: int, upto: int) -> set[uuid.UUID]:
    """The companies of the events at log positions in (after, upto]."""
    events = Event.objects.filter(position__gt=after, position__lte=upto)
    return set(events.values_list("company_id", flat=True).distinct())


def companies_behind(companies: set[uuid.UUID], *, upto: int) -> set[uuid.UUID]:
    """Those of `companies` with an event at or before `upto` that some subscriber has not
    handled yet (two reads). A checkpoint waiting for a failed handling's retry counts as
    handled: its retry brings a full round (`engine.anything_due`)."""
    events = Event.objects.filter(company_id__in=companies, position__lte=upto)
    last = dict(
        events.values("company_id").annotate(p=Max("position")).values_list("company_id", "p")
    )
    if not last:
        return set()
    names = {sub.name for sub in engine.subscribers()}
    handled: dict[uuid.UUID, int] = dict.fromkeys(last, 0)
    checkpoints = SubscriberCheckpoint.objects.filter(company_id__in=last, subscriber__in=names)
    for company_id, position, waiting in checkpoints.values_list(
        "company_id", "position", "next_attempt_at"
    ):
        if position >= last[company_id] or waiting is not None:
            handled[company_id] += 1
    return {company_id for company_id, count in handled.items() if count < len(names)}
