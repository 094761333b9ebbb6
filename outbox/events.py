"""The ops desk's actions on the outbox, as events (an audited action is a fact in the log).

Stream: stream_type "outbox_item", stream id = the item's id, company = the item's company.
"""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext_lazy as _

from events.registry import DomainEvent, register

OUTBOX_ITEM_STREAM = "outbox_item"


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OutboxItemRetried(DomainEvent):
    label = _("Parked delivery retried")
    subscriber: str
    summary: str
    reason: str  # why it was parked


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OutboxItemSkipped(DomainEvent):
    label = _("Parked delivery skipped")
    subscriber: str
    summary: str
    reason: str
