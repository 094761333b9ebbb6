"""The projection base class and the registry of all projections."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import ClassVar

from django.db import models

from events import store
from events.models import Event
from events.store import RecordedEvent


class Projection:
    """A read model fed by the log.

    `apply` takes a batch of events (one, inline; thousands, in a rebuild) so that the same code
    produces the rows both ways: a rebuild is identical to the inline history by construction.
    """

    name: str = ""
    handles: frozenset[str] = frozenset()
    models: tuple[type[models.Model], ...] = ()
    # True when the rows do not depend on how streams interleave in the log: each row belongs
    # to one stream, or only adds up what each stream's events contribute (counts, sums). A
    # rebuild may then replay the log stream by stream (see `engine.build_aside`).
    # `verify_projections` and the rebuild property test check this claim against the
    # inline rows, which are always made in log order.
    stream_local: bool = False
    # Models among `models` whose rows add up what each stream's events contribute (counters,
    # totals): {model: the attnames summed}. Their other columns are the row's key. A parallel
    # rebuild (`projections.replaying`) adds up such rows written by several processes; any
    # other row of a stream-local projection must belong to one stream.
    sums: ClassVar[dict[type[models.Model], tuple[str, ...]]] = {}
    # Models among `models` with one row per order stream, keyed by the stream id: a command's
    # `store.load_current` reads them with the order, and `apply` takes them from there.
    stream_rows: tuple[type[models.Model], ...] = ()

    def apply(self, events: list[RecordedEvent], using: str) -> None:
        raise NotImplementedError

    def build_from_log(self, log_table: str, up_to: int, using: str) -> bool:
        """Build the rows of events (0, up_to] into empty tables on `using` straight from the
        log (`log_table`, readable there) in SQL, and return True; or return False (the default)
        to be replayed through `apply`. The result must equal the replay's (`verify` checks)."""
        return False

    def relevant(self, events: Iterable[RecordedEvent]) -> list[RecordedEvent]:
        return [event for event in events if event.event_type in self.handles]


def continued_streams(events: Iterable[RecordedEvent]) -> set:
    """The ids of the streams that `events` continue: those that had events before them. A
    stream whose first event (version 1) is among them has no row anywhere yet, so a projector
    need not look for one (in a rebuild, that is most streams of every batch)."""
    events = list(events)
    started = {event.stream_id for event in events if event.version == 1}
    return {event.stream_id for event in events if event.version != 1} - started


def contents_before_erasure(rows, event: RecordedEvent, event_types) -> Iterator[tuple]:
    """For an erasure `event` (events.erasure): each erased stream with a row in `rows`, and its
    latest event of `event_types` before the erasure, decoded. Its key is gone, so it opens as
    erased (events.sealing): the rows read again what the stream's own events would give."""
    ids = [uuid.UUID(stream) for stream in event.data.streams]
    rows.load_ids(ids)
    latest = {}
    found = Event.objects.filter(
        company_id=event.company_id,
        stream_id__in=ids,
        event_type__in=event_types,
        position__lt=event.position,
    ).order_by("position")
    for stored in found.only("stream_id", "company_id", "event_type", "schema_version", "payload"):
        latest[stored.stream_id] = stored
    for stream_id, stored in latest.items():
        if stream_id in rows.rows:
            yield stream_id, stored.decoded()


_REGISTRY: dict[str, Projection] = {}


def register(projection_class: type[Projection]) -> type[Projection]:
    instance = projection_class()
    if instance.name in _REGISTRY:
        raise ValueError(f"Projection {instance.name!r} registered twice.")
    _REGISTRY[instance.name] = instance
    for model in instance.stream_rows:
        store.register_stream_rows("order", model)
    return projection_class


def all_projections() -> list[Projection]:
    return list(_REGISTRY.values())


def get_projections(names: Iterable[str] | None = None) -> list[Projection]:
    """The named projections (all when `names` is empty); unknown names raise KeyError."""
    if not names:
        return all_projections()
    unknown = [name for name in names if name not in _REGISTRY]
    if unknown:
        raise KeyError(
            f"Unknown projection(s): {', '.join(unknown)}. Known: {', '.join(_REGISTRY)}."
        )
    return [_REGISTRY[name] for name in names]
