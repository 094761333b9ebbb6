"""Re-compute the hash chain over the whole log, streaming, and say where it first breaks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import json
import time
from collections.abc import Sequence
from pathlib import Path

from django.utils import timezone

from . import witness
from .hashing import GENESIS, event_hash
from .models import Event, IntegrityCheck
from .replay import iter_rows
from .store import hash_of
from .witness import Witness


@dataclasses.dataclass
class VerificationResult:
    ok: bool
    events_checked: int
    head_position: int
    head_hash: str
    seconds: float
    broken_position: int | None = None
    problem: str = ""
    # Checked against checkpoints held outside the database (events/witness.py):
    witnesses: str = ""  # which: their files, "; "-separated ("" when none was given)
    witness_details: str = ""  # the same with their checkpoint counts and heads
    witnessed_position: int | None = None  # the highest position a witness confirmed
    unwitnessed_events: int | None = None  # events after it
    warnings: list[str] = dataclasses.field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.ok:
            text = (
                f"OK: {self.events_checked:,} events checked in {self.seconds:.2f}s, "
                f"head position {self.head_position}, head hash {self.head_hash[:16]}…"
            )
            if self.witnessed_position is not None:
                text += f"; witnessed up to position {self.witnessed_position}"
            return text
        if self.broken_position is None:
            return f"FAILED: {self.problem}"
        return f"BROKEN at position {self.broken_position}: {self.problem}"


def verify_log(
    *,
    batch_size: int = 5000,
    using: str = "default",
    witnesses: Sequence[Witness] = (),
    live_witness: Path | None = None,
    strict: bool = False,
) -> VerificationResult:
    """Check every event: contiguous positions, the chain links, each hash, stream versions;
    then the log against each witness (checkpoints held outside the database, read *before*
    the scan): the first witnessed position whose hash differs, a log that ends before a
    witnessed position, and the events after the last witnessed one (a warning, or a failure
    with `strict`). `live_witness`: the configured witness file, whose newest lines are read
    again after the scan (writers keep witnessing while it runs).

    Memory is bounded by the batch size plus one entry per stream (to check that versions
    within a stream run 1, 2, 3… with no gap or duplicate, and that its events agree on the
    stream's type and company) and one per company (its events' numbers run 1, 2, 3… in
    position order, `_check_number`) plus ~100 bytes per checkpoint.
    """
    started = time.perf_counter()
    expected_position, prev_hash, checked = 1, GENESIS, 0
    stream_versions: dict = {}
    company_numbers: dict = {}  # company id -> the number of its last event so far
    anchor = _last_good_check(using)
    last_matched = 0  # the highest position so far where every witness agrees with the log
    warnings = [
        f"{w.label}: {w.unreadable_lines} line(s) are not checkpoints and were skipped"
        for w in witnesses
        if w.unreadable_lines
    ]

    def result(broken_position: int | None = None, problem: str = "") -> VerificationResult:
        """What was found so far: everything up to the last event that checked out."""
        witnessed = max((w.head for w in witnesses), default=0)
        return VerificationResult(
            ok=not problem,
            events_checked=checked,
            head_position=expected_position - 1,
            head_hash=prev_hash,
            seconds=time.perf_counter() - started,
            broken_position=broken_position,
            problem=problem,
            witnesses="; ".join(w.label for w in witnesses),
            witness_details="; ".join(w.describe() for w in witnesses),
            witnessed_position=min(witnessed, expected_position - 1) if witnesses else None,
            unwitnessed_events=max(0, expected_position - 1 - witnessed) if witnesses else None,
            warnings=warnings,
        )

    for rows in iter_rows(0, batch_size=batch_size, using=using):
        for row in rows:
            problem = (
                _check(row, expected_position, prev_hash, stream_versions)
                or _check_number(row, company_numbers)
                or _against(anchor, row)
                or _against_witnesses(witnesses, row, last_matched)
            )
            if problem:
                return result(row.position, problem)
            if any(row.position in w.hashes for w in witnesses):
                last_matched = row.position
            stream_versions[row.stream_id] = (row.version, row.stream_type, row.company_id)
            company_numbers[row.company_id] = row.number
            expected_position, prev_hash = row.position + 1, row.hash
            checked += 1
    head = expected_position - 1
    if anchor is not None and anchor.head_position > head:
        return result(
            expected_position,
            f"the log ends at position {head}, but reached position "
            f"{anchor.head_position} when it was verified on {anchor.checked_at:%Y-%m-%d %H:%M}: "
            "events were removed from its end",
        )
    unreadable = [w for w in witnesses if w.problem]
    if unreadable:
        return result(
            None,
            "; ".join(f"the witness {w.label} cannot be checked: {w.problem}" for w in unreadable),
        )
    for w in sorted(witnesses, key=lambda w: -w.head):
        if w.head > head:
            return result(
                expected_position,
                f"the log ends at position {head}, but {w.label} witnessed position {w.head} "
                f"(hash {w.hashes[w.head][:16]}…): {w.head - head} acknowledged event(s) are "
                "missing: the end of the log was cut, or writes were lost (e.g. a deleted WAL)",
            )
    if witnesses and live_witness is not None:
        problem = _settle(witnesses[0], live_witness, head, using)
        if problem:
            return result(*problem)
    outcome = result()
    if outcome.unwitnessed_events:
        tail = (
            f"{outcome.unwitnessed_events} event(s) after position {outcome.witnessed_position} "
            f"(up to {head}) are not witnessed outside the database"
        )
        if strict:
            return result(outcome.witnessed_position + 1, tail + " (--strict)")
        outcome.warnings.append(tail)
    return outcome


def _against_witnesses(witnesses: Sequence[Witness], row, last_matched: int) -> str:
    for w in witnesses:
        for witnessed in (w.hashes.get(row.position), w.conflicts.get(row.position)):
            if witnessed is not None and witnessed != row.hash:
                since = f"after position {last_matched}" if last_matched else "from the start"
                return (
                    f"the event at position {row.position} has hash {row.hash[:16]}…, but "
                    f"{w.label} witnessed {witnessed[:16]}… there: the chain was rewritten "
                    f"{since} (the last position where log and witnesses agree)"
                )
    return ""


def _settle(live: Witness, path: Path, head: int, using: str) -> tuple[int, str] | None:
    """Take into account the checkpoints written to the live witness while the log was read."""
    newest = witness.latest(path, after=live.head, up_to=head)
    if newest is None:
        return None
    stored = Event.objects.using(using).filter(position=newest.position).values_list("hash")
    stored_hash = stored.first()[0]
    if stored_hash != newest.hash:
        return newest.position, (
            f"the event at position {newest.position} has hash {stored_hash[:16]}…, but "
            f"{live.label} witnessed {newest.hash[:16]}… there while this check ran"
        )
    live.hashes[newest.position] = newest.hash
    return None


def _last_good_check(using: str) -> IntegrityCheck | None:
    """The last verification that passed: its head anchors the chain (see systemPatterns.md)."""
    return (
        IntegrityCheck.objects.using(using)
        .filter(ok=True, head_position__gt=0)
        .order_by("-checked_at")
        .first()
    )


def _against(anchor: IntegrityCheck | None, row) -> str:
    if anchor is None or row.position != anchor.head_position or row.hash == anchor.head_hash:
        return ""
    return (
        f"the event at position {row.position} no longer has the hash it had when the log was "
        f"verified on {anchor.checked_at:%Y-%m-%d %H:%M}: the chain was recomputed after an edit"
    )


def _check(row: Event, expected_position: int, prev_hash: str, stream_versions: dict) -> str:
    if row.position != expected_position:
        if row.position > expected_position:
            return (
                f"expected position {expected_position} but found {row.position}: "
                f"{row.position - expected_position} event(s) missing (deleted?)"
            )
        return f"position {row.position} is out of order"
    if row.prev_hash != prev_hash:
        return (
            "prev_hash does not match the previous event's hash: an event before it was "
            "removed, inserted or reordered"
        )
    if hash_of(row) != row.hash:
        return f"content does not match its hash: event {row.id} ({row.event_type}) was altered"
    for column, text in (getattr(row, "stored_json", None) or {}).items():
        # The hash covers the parsed JSON; SQLite's JSON functions (the audit filters, replays)
        # read the stored text. They agree only if the text is exactly what the application
        # writes for that value: a duplicate key (SQLite reads the first, Python the last) or
        # any other re-spelling breaks the event here (issue #24 §14).
        if json.dumps(getattr(row, column)) != text:
            return (
                f"the stored {column} of event {row.id} ({row.event_type}) is not the text its "
                "hash covers (edited: a duplicate key, or re-spelt JSON)"
            )
    version, stream_type, company_id = stream_versions.get(
        row.stream_id, (0, row.stream_type, row.company_id)
    )
    if (stream_type, company_id) != (row.stream_type, row.company_id):
        return (
            f"stream {row.stream_id} belongs to {stream_type} of company {company_id}, but this "
            f"event says {row.stream_type} of company {row.company_id}: a stream's events "
            "must agree on its type and company"
        )
    expected_version = version + 1
    if row.version != expected_version:
        return f"stream {row.stream_id} jumps from version {expected_version - 1} to {row.version}"
    return ""


def _check_number(row, company_numbers: dict) -> str:
    """The company number is not hashed, but it follows from what is: a company's events are
    numbered 1, 2, 3… in position order, so a changed number breaks the run here."""
    expected = company_numbers.get(row.company_id, 0) + 1
    if row.number != expected:
        return (
            f"event {row.id} ({row.event_type}) is number {row.number} of its company's log, "
            f"but follows its number {expected - 1}: company numbers must run 1, 2, 3… in "
            "position order"
        )
    return ""


# How far ahead of this server's clock a record's time may be (another server's clock).
FUTURE_SLACK = dt.timedelta(minutes=5)


def signature(check: IntegrityCheck) -> str:
    """The HMAC-SHA-256, under EVENT_LOG_KEY, of what a verification record says (the same
    key as the chain: without it, a record cannot be forged; without any key, plain SHA-256)."""
    return event_hash(
        prev_hash="integrity-check",
        position=check.head_position,
        event_id=check.pk,
        stream_type="ok" if check.ok else "failed",
        stream_id=check.head_hash,
        version=check.events_checked,
        event_type=check.message,
        schema_version=check.witnessed_position or 0,
        payload=[check.witnesses, check.unwitnessed_events],
        metadata={},
        company_id="",
        occurred_at=check.checked_at,
        recorded_at=check.checked_at,
    )


def last_check(using: str = "default") -> IntegrityCheck | None:
    """The newest verification record, as the pages show it: when it is not signed with the key
    (forged with only the database file) or dated in the future, an unsaved record that says
    so and is not OK, whatever the row claims (issue #24 §13). None before any run."""
    check = IntegrityCheck.objects.using(using).order_by("-checked_at").first()
    if check is None:
        return None
    problem = ""
    if check.checked_at > timezone.now() + FUTURE_SLACK:
        problem = f"dated in the future ({check.checked_at:%Y-%m-%d %H:%M} UTC)"
    elif not hmac.compare_digest(check.signature or "", signature(check)):
        problem = "not signed with the event log's key"
    if not problem:
        return check
    return IntegrityCheck(
        checked_at=min(check.checked_at, timezone.now()),
        ok=False,
        events_checked=0,
        head_position=0,
        message=(
            f"FORGED verification record: the newest one is {problem}; it was not written by "
            "verify_events. Run verify_events and look into who can write the database."
        ),
    )


def record(result: VerificationResult, *, using: str = "default") -> IntegrityCheck:
    """Store the outcome for the audit page (and as the next run's anchor when it passed),
    signed (`signature`)."""
    check = IntegrityCheck(
        checked_at=timezone.now(),
        ok=result.ok,
        events_checked=result.events_checked,
        head_position=result.head_position,
        head_hash=result.head_hash,
        message="\n".join(
            [
                result.summary,
                *result.warnings,
                *([result.witness_details] if result.witnesses else []),
            ]
        ),
        duration_seconds=result.seconds,
        witnesses=result.witnesses,
        witnessed_position=result.witnessed_position,
        unwitnessed_events=result.unwitnessed_events,
    )
    check.signature = signature(check)
    check.save(using=using)
    return check
