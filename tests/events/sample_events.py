"""Test-only event classes, registered under names no app uses, so no projection reacts to them.

Shared by the tests and by the child processes of the concurrency tests (which import this
module after `django.setup()`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

from events.registry import DomainEvent, register


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class SampleCounted(DomainEvent):
    """The smallest event: one integer, enough to tell appends apart."""

    event_type = "tests.SampleCounted"
    label = "Sample counted"
    n: int


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class SamplePriced(DomainEvent):
    """Carries the values that JSON cannot hold natively, to check they come back exact."""

    event_type = "tests.SamplePriced"
    label = "Sample priced"
    amount: Decimal
    reference: uuid.UUID
    priced_at: dt.datetime
    due_on: dt.date
    note: str | None = None


def counted(*numbers: int) -> list[SampleCounted]:
    return [SampleCounted(n=n) for n in numbers]
