"""Erasure by crypto-shredding: destroy data subjects' keys and record it in the log.

`erase_subjects` destroys every live key of the given subjects (events/keystore.py) and appends
one `ErasureRecorded` to the company's erasure stream, in one writer transaction: the inline
projections that handle it see the data as erased at once, and a rebuild reads it so too. The
log itself is not changed: its hash chain, and every checkpoint witnessed before, still verify
(`verify_events`). The event names who (its actor), when, why, the subjects by opaque id and
the streams affected; never the personal data.
"""

from __future__ import annotations

import dataclasses
import uuid

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import keystore, registry, sealing, store
from .models import Event
from .registry import DomainEvent, register

STREAM_TYPE = "privacy"
_NAMESPACE = uuid.UUID("5b0d3a0e-4c57-4d8e-9a55-3f6e0c8f2b71")
KINDS = ("request", "retention")


_scrubbers: list = []


def register_scrubber(scrub) -> None:
    """Add `scrub(company_id, stream_ids) -> int`: blanks the personal data an app copied out of
    the log for those streams (mails owed, digest lines), inside the erasure's transaction.
    Apps above the log register one from their AppConfig.ready()."""
    if scrub not in _scrubbers:
        _scrubbers.append(scrub)


def scrubbers() -> list:
    return list(_scrubbers)


def erasure_stream_id(company_id) -> uuid.UUID:
    """The company's erasure stream (one per company)."""
    return uuid.uuid5(_NAMESPACE, f"erasures:{uuid.UUID(str(company_id))}")


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class ErasureRecorded(DomainEvent):
    """A data subject's personal data was erased: their keys destroyed. `subjects` are opaque
    ids ("order:<uuid>", "customer:<id>"); `streams` the streams whose sealed fields now read
    "erased"; `clear_streams` those among them that also hold personal data written before
    sealing existed, in clear, which no erasure can reach (docs/privacy.md)."""

    label = _("Personal data erased")
    kind: str  # request | retention
    reason: str
    subjects: tuple[str, ...]
    streams: tuple[str, ...]
    keys_destroyed: int
    clear_streams: tuple[str, ...] = ()

    def details_shown(self) -> list[tuple[str, str]]:
        shown = [
            (gettext("Reason"), self.reason),
            (gettext("Subjects"), ", ".join(self.subjects)),
            (gettext("Streams"), str(len(self.streams))),
            (gettext("Keys destroyed"), str(self.keys_destroyed)),
        ]
        if self.clear_streams:
            shown.append(
                (gettext("Written in clear (not reachable)"), str(len(self.clear_streams)))
            )
        return shown


def erase_subjects(
    *,
    company_id,
    subjects,
    streams,
    reason: str,
    kind: str = "request",
    actor=None,
) -> store.RecordedEvent:
    """Destroy the subjects' keys and append the `ErasureRecorded` saying so, atomically with
    the inline projections. Returns the recorded event. Call `keystore.scrub()` after the
    outermost transaction commits (the callers in `orders.erasure` do)."""
    if kind not in KINDS:
        raise ValueError(f"Unknown erasure kind {kind!r}.")
    subjects = tuple(sorted(set(subjects)))
    streams = tuple(sorted({str(uuid.UUID(str(s))) for s in streams}))
    stream_id = erasure_stream_id(company_id)
    with store.write_transaction():
        destroyed = keystore.destroy(company_id, subjects)
        event = ErasureRecorded(
            kind=kind,
            reason=reason,
            subjects=subjects,
            streams=streams,
            keys_destroyed=destroyed,
            clear_streams=tuple(clear_streams(company_id, streams)),
        )
        (recorded,) = store.append_at_end(
            stream_id,
            [event],
            company=company_id,
            actor=actor,
            stream_type=STREAM_TYPE,
        )
    return recorded


def clear_streams(company_id, streams) -> list[str]:
    """Those of `streams` with an event whose personal fields were written in clear (before
    sealing): their personal data stays readable in the log whatever is erased."""
    found, types = [], registry.registered_types()
    rows = Event.objects.filter(company_id=company_id, stream_id__in=list(streams)).only(
        "stream_id", "event_type", "payload"
    )
    for row in rows.iterator():
        cls = types.get(row.event_type)
        if cls is None or not cls.personal or str(row.stream_id) in found:
            continue
        for path in cls.personal:
            container, name = sealing.parent_of(row.payload, path)
            value = None if container is None else container.get(name)
            if isinstance(value, str) and value:
                found.append(str(row.stream_id))
                break
    return found


def reapply_erasures() -> int:
    """Destroy the live keys, made before each erasure, of every subject an `ErasureRecorded`
    names (after a key store was restored from an older copy). Returns how many."""
    destroyed = 0
    erasures = Event.objects.filter(stream_type=STREAM_TYPE, event_type="ErasureRecorded")
    with store.write_transaction():
        for event in erasures.order_by("position").iterator():
            destroyed += keystore.destroy(
                event.company_id, event.payload["subjects"], made_before=event.recorded_at
            )
    keystore.scrub()
    return destroyed
