"""The only way to change a company's webhook endpoints and their queues. Each runs in one
writer transaction, checks the actor may manage the company's integrations (the Manager's
`accounts.manage_team`), and appends exactly one access event on the endpoint's stream."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.exceptions import WEBHOOKS_NOT_PERMITTED, TeamNotPermitted
from events import registry, store
from events.models import Event

from . import queue, safety, signing
from .events import (
    WEBHOOK_STREAM,
    WebhookEndpointChanged,
    WebhookEndpointCreated,
    WebhookEndpointDisabled,
    WebhookEndpointEnabled,
    WebhookReplayed,
    WebhookRetriedNow,
)
from .exceptions import EndpointNotFound, InvalidEndpoint, UnsafeUrl
from .models import WebhookEndpoint

MANAGE = "accounts.manage_team"
Status = WebhookEndpoint.Status


@dataclasses.dataclass(frozen=True)
class CreatedEndpoint:
    """A new endpoint and its signing secret (shown once)."""

    endpoint: WebhookEndpoint
    secret: str


def create_endpoint(
    *, actor, url: str, event_types=(), description: str = "", now=None
) -> CreatedEndpoint:
    """Register an endpoint (event `WebhookEndpointCreated`). It is owed the matching events
    appended after it (earlier ones by replay). Raises TeamNotPermitted, InvalidEndpoint."""
    now = now or timezone.now()
    url, event_types = _clean(url, event_types, description)
    secret = signing.new_secret()
    with store.write_transaction():
        _check_actor(actor)
        endpoint = WebhookEndpoint.objects.create(
            company_id=actor.company_id,
            url=url,
            description=description.strip(),
            event_types=list(event_types),
            secret_encrypted=signing.encrypt(secret),
            start_position=store.head_position(),
            created_at=now,
        )
        _append(endpoint, actor, WebhookEndpointCreated(url=url, event_types=event_types))
    return CreatedEndpoint(endpoint=endpoint, secret=secret)


def change_endpoint(
    *, actor, endpoint_id, url: str, event_types=(), description: str = ""
) -> WebhookEndpoint:
    """Change the address, event types and description (event `WebhookEndpointChanged`)."""
    url, event_types = _clean(url, event_types, description)
    with store.write_transaction():
        endpoint = _endpoint(actor, endpoint_id)
        endpoint.url, endpoint.event_types = url, list(event_types)
        endpoint.description = description.strip()
        endpoint.save(update_fields=["url", "event_types", "description"])
        _append(endpoint, actor, WebhookEndpointChanged(url=url, event_types=event_types))
    return endpoint


def enable_endpoint(*, actor, endpoint_id, now=None) -> WebhookEndpoint:
    """Enable (or re-enable a failing) endpoint: its held deliveries resume at once, in order,
    from where they stopped (event `WebhookEndpointEnabled`)."""
    now = now or timezone.now()
    with store.write_transaction():
        endpoint = _endpoint(actor, endpoint_id)
        if endpoint.status == Status.ENABLED:
            raise InvalidEndpoint({"": [gettext("This endpoint is already enabled.")]})
        endpoint.status, endpoint.status_reason, endpoint.failing_since = Status.ENABLED, "", None
        endpoint.save(update_fields=["status", "status_reason", "failing_since"])
        queue.release(endpoint, now)
        _append(endpoint, actor, WebhookEndpointEnabled(url=endpoint.url))
    return endpoint


def disable_endpoint(*, actor, endpoint_id, reason: str = "Disabled by a person.") -> None:
    """Stop deliveries to the endpoint; what it is owed meanwhile is kept, not dropped, and
    sent when it is enabled again (event `WebhookEndpointDisabled`)."""
    with store.write_transaction():
        endpoint = _endpoint(actor, endpoint_id)
        if endpoint.status == Status.DISABLED:
            raise InvalidEndpoint({"": [gettext("This endpoint is already disabled.")]})
        mark_disabled(endpoint, actor, reason, Status.DISABLED)
    return endpoint


def mark_disabled(endpoint: WebhookEndpoint, actor, reason: str, status: str) -> None:
    """Set the endpoint's status (disabled or failing) with its reason and record it; inside
    the caller's writer transaction. The worker calls it with actor None (the system)."""
    endpoint.status, endpoint.status_reason = status, reason[:300]
    endpoint.save(update_fields=["status", "status_reason"])
    _append(endpoint, actor, WebhookEndpointDisabled(url=endpoint.url, reason=reason[:300]))


def retry_now(*, actor, endpoint_id, now=None) -> int:
    """Make every delivery the endpoint is owed due now (event `WebhookRetriedNow`); returns
    how many. A failing endpoint stays failing: enable it to resume."""
    now = now or timezone.now()
    with store.write_transaction():
        endpoint = _endpoint(actor, endpoint_id)
        pending = queue.release(endpoint, now)
        _append(endpoint, actor, WebhookRetriedNow(url=endpoint.url, pending=pending))
    return pending


def replay(
    *, actor, endpoint_id, from_number: int | None = None, since: dt.datetime | None = None
) -> int:
    """Deliver the company's matching events again, from company event number `from_number`
    (or the first one that occurred at or after `since`) up to the head, in order, after what
    the endpoint is owed now (event `WebhookReplayed`). Each keeps its `webhook-id` (the event
    id), so a receiver recognises what it already has. Returns how many are owed."""
    with store.write_transaction():
        endpoint = _endpoint(actor, endpoint_id)
        if since is not None:
            first = Event.objects.filter(company_id=actor.company_id, occurred_at__gte=since)
            found = first.order_by("position").values_list("number", flat=True).first()
            from_number = found if found is not None else store.head_number(actor.company_id) + 1
        if from_number is None or from_number < 1:
            raise InvalidEndpoint({"from_number": [gettext("Give an event number of 1 or more.")]})
        head = store.head_number(actor.company_id)
        count = queue.owe_replay(endpoint, from_number)
        replayed = WebhookReplayed(
            url=endpoint.url, from_number=from_number, to_number=head, count=count
        )
        _append(endpoint, actor, replayed)
    return count


# --- internals ------------------------------------------------------------------------------


def _check_actor(actor) -> None:
    if actor is None or actor.company_id is None or not actor.has_perm(MANAGE):
        raise TeamNotPermitted(WEBHOOKS_NOT_PERMITTED)


def _endpoint(actor, endpoint_id) -> WebhookEndpoint:
    _check_actor(actor)
    try:
        return WebhookEndpoint.objects.get(company_id=actor.company_id, pk=endpoint_id)
    except (WebhookEndpoint.DoesNotExist, ValidationError, ValueError, TypeError):
        raise EndpointNotFound() from None


def _clean(url: str, event_types, description: str) -> tuple[str, tuple[str, ...]]:
    errors: dict[str, list[str]] = {}
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
        if len(url) > 500:
            raise ValidationError(_("too long"))
        safety.check_url(url)
    except ValidationError:
        errors["url"] = [gettext("Enter a valid address of at most 500 characters, https://…")]
    except UnsafeUrl as error:
        errors["url"] = [str(error)]
    known = set(registry.registered_types())
    types = tuple(dict.fromkeys(t.strip() for t in event_types if t and t.strip()))
    unknown = [t for t in types if t not in known]
    if unknown:
        errors["event_types"] = [
            gettext("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}
        ]
    if len(description or "") > 200:
        errors["description"] = [gettext("At most 200 characters.")]
    if errors:
        raise InvalidEndpoint(errors)
    return url, types


def _append(endpoint: WebhookEndpoint, actor, event) -> None:
    store.append_at_end(
        endpoint.pk,
        [event],
        company=endpoint.company_id,
        actor=actor,
        stream_type=WEBHOOK_STREAM,
    )
