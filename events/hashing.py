"""The hash chain that makes the log tamper-evident.

hash(n) = SHA-256(prev_hash(n) || canonical(event n)), where prev_hash(n) = hash(n-1) and the
first event's prev_hash is GENESIS. The canonical form covers every column that carries meaning,
including `position` and `id`, so editing any field, deleting or inserting a row, or swapping two
rows changes a hash that the next event has already committed to.

With `EVENT_LOG_KEY` set (make run/test put a random one in .env), the hash is an HMAC-SHA-256
under that key: someone who can write the database file but does not have the key cannot
recompute a consistent chain after editing it. Keep the key with the other secrets (it is not in
the database); the same key must be used for the life of the log.
"""

import datetime as dt
import hashlib
import hmac
import json

from django.conf import settings

GENESIS = "0" * 64


def canonical_json(value) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    prev_hash: str,
    position: int,
    event_id,
    stream_type: str,
    stream_id,
    version: int,
    event_type: str,
    schema_version: int,
    payload: dict,
    metadata: dict,
    company_id,
    occurred_at: dt.datetime,
    recorded_at: dt.datetime,
) -> str:
    body = canonical_json(
        [
            position,
            str(event_id),
            stream_type,
            str(stream_id),
            version,
            event_type,
            schema_version,
            payload,
            metadata,
            str(company_id),
            _instant(occurred_at),
            _instant(recorded_at),
        ]
    )
    message = f"{prev_hash}|{body}".encode()
    key = settings.EVENT_LOG_KEY
    if key:
        return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()
