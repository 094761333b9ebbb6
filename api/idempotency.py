"""`Idempotency-Key` on order creation: the key names the new order's id (uuid5 of the company
and the key), so `place_order` itself recognises a repeat (`OrderAlreadyPlaced`) under the
writers' lock, and the log's `OrderPlaced` event is the record of what the first request sent:
no second table. The same body gives the same order; another body is a 422."""

from __future__ import annotations

import uuid

from orders import history
from orders.exceptions import OrderValidationError
from orders.validation import clean_order

from .problems import Problem

NAMESPACE = uuid.UUID("5b0c0f0e-6a7e-4f0e-9f3c-2f1d3b1a7c27")
MAX_KEY_LENGTH = 255


def key_of(request) -> str:
    """The request's Idempotency-Key ('' without one); 400 for an unusable one."""
    key = request.headers.get("Idempotency-Key", "")
    if key and (len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.strip()):
        raise Problem(400, f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.")
    return key


def order_id(user, key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{user.company_id}:{key}")


def check_same_request(user, order_id, key: str, *, details, lines) -> None:
    """Raise a 422 unless `details` and `lines` are what the order was placed with."""
    placed = history.order_events(user, order_id)[:1]
    try:
        details, lines = clean_order(details, lines)
    except OrderValidationError:
        same = False
    else:
        first = placed[0].data if placed else None
        same = first is not None and first.details == details and tuple(first.lines) == lines
    if not same:
        raise Problem(
            422,
            f"The Idempotency-Key {key!r} was already used to create another order "
            f"({placed[0].data.number if placed else 'unknown'}) with a different request: use "
            "a new key for a new order.",
        )
