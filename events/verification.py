"""Re-compute the hash chain over the whole log, streaming, and say where it first breaks."""

from __future__ import annotations

import dataclasses
import time

from django.utils import timezone

from .hashing import GENESIS
from .models import Event, IntegrityCheck
from .replay import iter_rows
from .store import hash_of


@dataclasses.dataclass
class VerificationResult:
    ok: bool
    events_checked: int
    head_position: int
    head_hash: str
    seconds: float
    broken_position: int | None = None
    problem: str = ""

    @property
    def summary(self) -> str:
        if self.ok:
            return (
                f"OK: {self.events_checked} events checked in {self.seconds:.2f}s, "
                f"head position {self.head_position}, head hash {self.head_hash[:16]}…"
            )
        return f"BROKEN at position {self.broken_position}: {self.problem}"


def verify_log(*, batch_size: int = 5000, using: str = "default") -> VerificationResult:
    """Check every event: contiguous positions, the chain links, each hash, stream versions.

    Memory is bounded by the batch size plus one integer per stream (to check that versions
    within a stream run 1, 2, 3… with no gap or duplicate).
    """
    started = time.perf_counter()
    expected_position, prev_hash, checked = 1, GENESIS, 0
    stream_versions: dict = {}
    anchor = _last_good_check(using)

    def result(broken_position: int | None = None, problem: str = "") -> VerificationResult:
        """What was found so far: everything up to the last event that checked out."""
        return VerificationResult(
            ok=not problem,
            events_checked=checked,
            head_position=expected_position - 1,
            head_hash=prev_hash,
            seconds=time.perf_counter() - started,
            broken_position=broken_position,
            problem=problem,
        )

    for rows in iter_rows(0, batch_size=batch_size, using=using):
        for row in rows:
            problem = _check(row, expected_position, prev_hash, stream_versions) or _against(
                anchor, row
            )
            if problem:
                return result(row.position, problem)
            stream_versions[row.stream_id] = row.version
            expected_position, prev_hash = row.position + 1, row.hash
            checked += 1
    if anchor is not None and anchor.head_position > expected_position - 1:
        return result(
            expected_position,
            f"the log ends at position {expected_position - 1}, but reached position "
            f"{anchor.head_position} when it was verified on {anchor.checked_at:%Y-%m-%d %H:%M}: "
            "events were removed from its end",
        )
    return result()


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
    expected_version = stream_versions.get(row.stream_id, 0) + 1
    if row.version != expected_version:
        return f"stream {row.stream_id} jumps from version {expected_version - 1} to {row.version}"
    return ""


def record(result: VerificationResult, *, using: str = "default") -> IntegrityCheck:
    return IntegrityCheck.objects.using(using).create(
        checked_at=timezone.now(),
        ok=result.ok,
        events_checked=result.events_checked,
        head_position=result.head_position,
        head_hash=result.head_hash,
        message=result.summary,
        duration_seconds=result.seconds,
    )
