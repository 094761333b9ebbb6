"""An order's history: its events read from the log, described for the timeline, and the
order as it stood at a moment or after a version. Scoped to the user's company."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.utils.translation import gettext, ngettext

from common.request_context import recorded_request_id
from events import registry, store
from events.store import RecordedEvent

from . import aggregate
from .events import (
    NoteAdded,
    OrderAmended,
    OrderApprovalRecorded,
    OrderApproved,
    OrderCancelled,
    OrderChanged,
    OrderHeld,
    OrderPlaced,
    OrderRejected,
    OrderReopened,
    OrderShipped,
    OrderSubmittedAutoApproved,
    StateChanged,
    contents_diff,
)
from .policy_words import rule_words
from .selectors import STATE_LABELS


def order_events(user, order_id: uuid.UUID, *, until: dt.datetime | None = None):
    """The order's events if it is the user's company's, else none."""
    if user.company_id is None:  # read_stream without a company reads any company's stream
        return []
    return store.read_stream(order_id, until=until, company=user.company_id)


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    position: int
    version: int
    occurred_at: dt.datetime
    actor: str
    event_type: str
    summary: str
    from_state: str = ""
    to_state: str = ""
    reason: str = ""
    carrier: str = ""
    tracking_number: str = ""
    request_id: str = ""
    number: int | None = None  # in the company's log (`Event.number`); shown instead of position
    changes: tuple[str, ...] = ()  # a change of contents: before → after, field by field
    # When the log recorded it: later than `occurred_at` for a back-dated (imported) event.
    recorded_at: dt.datetime | None = None
    # The old system's reference of an imported order's event (`metadata["imported_from"]`).
    imported_from: str = ""
    # Who did it in the old system, for an imported step whose file named them.
    original_actor: str = ""

    @property
    def described(self) -> str:
        """The summary and, for a change of contents, each difference (the history CSV's cell)."""
        return "; ".join([self.summary, *self.changes])

    @property
    def label(self) -> str:
        return registry.label_of(self.event_type)

    @property
    def from_label(self) -> str:
        return STATE_LABELS.get(self.from_state, self.from_state)

    @property
    def to_label(self) -> str:
        return STATE_LABELS.get(self.to_state, self.to_state)


def history(user, order_id: uuid.UUID) -> list[HistoryEntry]:
    """The order's timeline, oldest first, read from the log itself (see systemPatterns.md);
    empty for another company's order (pages load `order_summary` first, which is their 404)."""
    entries, contents = [], None
    for event in order_events(user, order_id):
        entry = describe(event)
        data = event.data
        if isinstance(data, (OrderPlaced, OrderChanged, OrderAmended)):
            if contents is not None:
                entry = dataclasses.replace(entry, changes=tuple(contents_diff(contents, data)))
            contents = data
        # The company's number came with the row (`order_events` reads only its company's).
        entries.append(dataclasses.replace(entry, number=event.number))
    return entries


def sent_back(summary, entries: list[HistoryEntry]) -> HistoryEntry | None:
    """The rejection that returned `summary`'s draft (who, when, why), while it is a draft
    waiting to be submitted again (the summary's `rejection_reason` is cleared on submit);
    else None. `entries` is the order's `history`, oldest first."""
    if summary.state != "draft" or not summary.rejection_reason:
        return None
    return next((e for e in reversed(entries) if e.event_type == "OrderRejected"), None)


def last_change(user, order_id: uuid.UUID) -> HistoryEntry | None:
    """The order's newest event, described (who, when, what): what a stale page did not see.
    None for another company's order (as `history`)."""
    entries = history(user, order_id)
    return entries[-1] if entries else None


def describe(event: RecordedEvent) -> HistoryEntry:
    data = event.data
    common = {
        "position": event.position,
        "version": event.version,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "actor": event.actor_username,
        "event_type": event.event_type,
        "request_id": recorded_request_id(event.metadata),
        "imported_from": (event.metadata.get("imported_from") or {}).get("reference", ""),
        "original_actor": event.metadata.get("original_actor") or "",
    }
    if isinstance(data, OrderPlaced):
        return HistoryEntry(
            **common,
            to_state="draft",
            summary=ngettext(
                "Placed %(number)s for %(customer)s with %(count)d line",
                "Placed %(number)s for %(customer)s with %(count)d lines",
                len(data.lines),
            )
            % {
                "number": data.number,
                "customer": data.details.customer_name,
                "count": len(data.lines),
            },
        )
    if isinstance(data, OrderChanged):
        return HistoryEntry(
            **common,
            summary=ngettext(
                "Changed details and lines (%(count)d line)",
                "Changed details and lines (%(count)d lines)",
                len(data.lines),
            )
            % {"count": len(data.lines)},
        )
    if isinstance(data, OrderApprovalRecorded):
        return HistoryEntry(
            **common,
            summary=gettext("First approval, waits for a second (policy v%(version)s: %(rule)s)")
            % {"version": data.policy_version, "rule": rule_words(data.rule_text)},
        )
    if isinstance(data, NoteAdded):
        return HistoryEntry(**common, summary=gettext("Note: %(text)s") % {"text": data.text})
    assert isinstance(data, StateChanged)
    extra = {}
    summary = f"{STATE_LABELS[data.from_state]} → {STATE_LABELS[data.to_state]}"
    if isinstance(data, (OrderRejected, OrderHeld, OrderCancelled, OrderAmended, OrderReopened)):
        extra["reason"] = data.reason
        if data.reason:
            summary += " " + gettext("(reason: %(reason)s)") % {"reason": data.reason}
    policy = {
        "version": getattr(data, "policy_version", 0),
        "rule": rule_words(getattr(data, "rule_text", "")),
    }
    if isinstance(data, OrderAmended):
        summary = gettext("Amended: %(summary)s") % {"summary": summary}
    elif isinstance(data, OrderReopened):
        summary = gettext("Delivery reopened: %(summary)s") % {"summary": summary}
    elif isinstance(data, OrderApproved) and data.rule_text:
        summary += " " + gettext("(policy v%(version)s: %(rule)s)") % policy
    elif isinstance(data, OrderSubmittedAutoApproved):
        summary += " " + gettext("automatically (policy v%(version)s: %(rule)s)") % policy
    if isinstance(data, OrderShipped):
        extra.update(carrier=data.carrier, tracking_number=data.tracking_number)
        summary += " " + gettext("via %(carrier)s, tracking %(tracking)s") % {
            "carrier": data.carrier,
            "tracking": data.tracking_number,
        }
    return HistoryEntry(
        **common, from_state=data.from_state, to_state=data.to_state, summary=summary, **extra
    )


def snapshot_as_of(user, order_id: uuid.UUID, moment: dt.datetime) -> aggregate.OrderSnapshot:
    """The order as it stood at `moment`, folded from the log (empty if it did not exist yet, or
    is another company's: `order_events` is scoped; the page has already answered 404 for it)."""
    return aggregate.fold(order_events(user, order_id, until=moment))


def snapshot_after(user, order_id: uuid.UUID, version: int) -> aggregate.OrderSnapshot:
    """The order as it stood right after its event `version` (1 = placed), folded from the log
    up to that event; empty for another company's order, as above."""
    if user.company_id is None:
        return aggregate.OrderSnapshot()
    events = store.read_stream(order_id, up_to_version=version, company=user.company_id)
    return aggregate.fold(events)


def snapshot_at(
    user, order_id: uuid.UUID, *, moment: dt.datetime | None = None, version: int | None = None
) -> aggregate.OrderSnapshot | None:
    """The order at `moment`, or right after its event `version`; None when neither is given."""
    if moment:
        return snapshot_as_of(user, order_id, moment)
    if version:
        return snapshot_after(user, order_id, version)
    return None
