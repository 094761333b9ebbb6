"""What happened to a company's webhook endpoints: access events on the endpoint's stream
(stream_type "webhook", stream id = endpoint id). Never the secret, never a delivery's body."""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext_lazy as _

from events.registry import DomainEvent, register

WEBHOOK_STREAM = "webhook"


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class WebhookEndpointCreated(DomainEvent):
    label = _("Webhook endpoint registered")
    url: str
    event_types: tuple[str, ...]


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class WebhookEndpointChanged(DomainEvent):
    label = _("Webhook endpoint changed")
    url: str
    event_types: tuple[str, ...]


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class WebhookEndpointEnabled(DomainEvent):
    label = _("Webhook endpoint enabled")
    url: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class WebhookEndpointDisabled(DomainEvent):
    """By a person, or by the worker (actor "system") on a 410 Gone or after failing for the
    whole retry period (`reason`)."""

    label = _("Webhook endpoint disabled")
    url: str
    reason: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class WebhookRetriedNow(DomainEvent):
    label = _("Webhook deliveries retried now")
    url: str
    pending: int


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class WebhookReplayed(DomainEvent):
    label = _("Webhook events replayed")
    url: str
    from_number: int
    to_number: int
    count: int
