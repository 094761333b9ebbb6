"""Optimistic concurrency over HTTP (RFC 9110 §8.8.3, §13.1.1): an order's `ETag` is its
version; a change must send it back in `If-Match`. Missing: 428 (RFC 6585); stale: 412 with the
current version and who changed it (the pages answer the same case with 409)."""

from __future__ import annotations

import re

from orders import history

from .problems import PreconditionRequired, Problem

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request) -> int:
    """The version `If-Match` names. Raises PreconditionRequired when it is missing (or `*`,
    which would match any version: no guarantee at all); a value that is no version of ours
    matches none, so the command answers 412."""
    value = request.headers.get("If-Match", "").strip()
    if not value or value == "*":
        raise PreconditionRequired()
    match = _ETAG.match(value)
    return int(match.group(1)) if match else -1


def stale(user, order_id, error) -> Problem:
    """The 412 for a stale `If-Match`: the current version and the change the caller missed."""
    change = history.last_change(user, order_id)
    members = {"current_version": error.actual_version}
    detail = str(error)
    if change is not None:
        members |= {"changed_by": change.actor, "changed_at": change.occurred_at.isoformat()}
        detail = (
            f"The order was last changed ({change.label.lower()}) by {change.actor} at "
            f"{change.occurred_at:%Y-%m-%d %H:%M} UTC. It is at version "
            f"{error.actual_version}, not the one you sent ({error.expected_version}): "
            "read it again, then retry with its ETag."
        )
    return Problem(412, detail, **members)
