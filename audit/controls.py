"""The controls report for auditors (issue #28): over a period, what the company's controls were
and what happened under them, read from the log itself.

Five sections, each a list of `ControlRow` (when, who, order, what, details):
- approvals by the order's author (placer or last changer of its contents) — none once four eyes
  is on; earlier ones (before company controls, or with four eyes off) are listed;
- orders approved above the Staff limit, with the rule and the policy version each used;
- changes of the company's controls (old → new);
- corrections (amendments, reopened deliveries) with their reasons;
- access changes (users added, roles changed, deactivated, reactivated).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.csv_export import Column, cells, iso
from events import registry
from events.models import Event
from orders.models import Order
from orders.policy_words import rule_words
from orders.policy_words import setting_value_words as value_words

APPROVALS = ("OrderApproved", "OrderApprovalRecorded")
CONTENTS = ("OrderPlaced", "OrderChanged", "OrderAmended")
CORRECTIONS = ("OrderAmended", "OrderReopened")
# Every change of who (or what) may act for the company: people, API keys, the identity
# provider's settings, webhook endpoints (QA, session 4: keys and endpoints were missing).
ACCESS = (
    "UserAdded",
    "UserRoleChanged",
    "UserDeactivated",
    "UserReactivated",
    "InvitationRevoked",
    "ApiKeyCreated",
    "ApiKeyRevoked",
    "IdentityProviderConfigured",
    "SsoIdentityLinked",
    "WebhookEndpointCreated",
    "WebhookEndpointChanged",
    "WebhookEndpointEnabled",
    "WebhookEndpointDisabled",
)
SECTIONS = {
    "self_approvals": _("Approvals by the order's author"),
    "above_limit": _("Approved above the Staff limit"),
    "policy_changes": _("Changes of the company's controls"),
    "corrections": _("Corrections"),
    "access_changes": _("Access changes"),
}


@dataclasses.dataclass(frozen=True)
class ControlRow:
    occurred_at: dt.datetime
    actor: str
    order: str  # the order's number ("" for a company or user event)
    what: str
    details: str


def controls_report(company_id, start: dt.datetime, end: dt.datetime) -> dict[str, list]:
    """section name (`SECTIONS`) -> its rows, oldest first, for events with start <= occurred_at
    < end in the company's log. Four queries whatever the period."""
    in_period = Event.objects.filter(
        company_id=company_id, occurred_at__gte=start, occurred_at__lt=end
    ).order_by("position")
    approvals = list(in_period.filter(event_type__in=APPROVALS))
    numbers = dict(
        Order.objects.filter(
            company_id=company_id,
            pk__in={e.stream_id for e in approvals}
            | set(in_period.filter(event_type__in=CORRECTIONS).values_list("stream_id", flat=True)),
        ).values_list("id", "number")
    )
    report = {name: [] for name in SECTIONS}
    report["self_approvals"] = _self_approvals(company_id, approvals, numbers)
    for event in approvals:
        data = _decode(event)
        if event.event_type == "OrderApproved" and data.rule in ("manager", "two_managers"):
            report["above_limit"].append(
                _row(
                    event,
                    numbers,
                    registry.label_of(event.event_type),
                    gettext("policy v%(version)s: %(rule)s")
                    % {"version": data.policy_version, "rule": rule_words(data.rule_text)},
                )
            )
    for event in in_period.filter(stream_type="policy"):
        data = _decode(event)
        changes = "; ".join(
            f"{gettext(c.setting)}: {value_words(c.before)} → {value_words(c.after)}"
            for c in data.changes
        )
        version = gettext("Version %(version)s") % {"version": event.version}
        report["policy_changes"].append(_row(event, numbers, version, changes))
    for event in in_period.filter(event_type__in=CORRECTIONS):
        data = _decode(event)
        report["corrections"].append(
            _row(
                event,
                numbers,
                registry.label_of(event.event_type),
                gettext("reason: %(reason)s") % {"reason": data.reason},
            )
        )
    for event in in_period.filter(event_type__in=ACCESS):
        details = "; ".join(f"{name}: {value}" for name, value in _decode(event).details_shown())
        report["access_changes"].append(
            _row(event, numbers, registry.label_of(event.event_type), details)
        )
    return report


def _self_approvals(company_id, approvals: list[Event], numbers: dict) -> list[ControlRow]:
    """The approvals in `approvals` given by someone who placed the order or last changed its
    contents before that approval (the streams' contents events read once)."""
    if not approvals:
        return []
    contents = Event.objects.filter(
        company_id=company_id,
        stream_id__in={e.stream_id for e in approvals},
        event_type__in=CONTENTS,
    ).only("stream_id", "version", "event_type", "metadata")
    by_stream: dict = {}
    for event in contents:
        by_stream.setdefault(event.stream_id, []).append(event)
    rows = []
    for approval in approvals:
        earlier = sorted(
            (e for e in by_stream.get(approval.stream_id, ()) if e.version < approval.version),
            key=lambda e: e.version,
        )
        authors = {e.metadata.get("actor_username") for e in earlier[:1] + earlier[-1:]}
        actor = approval.metadata.get("actor_username")
        if actor in authors:
            data = _decode(approval)
            version = data.policy_version
            rows.append(
                _row(
                    approval,
                    numbers,
                    gettext("Approved by its author"),
                    gettext("policy v%(version)s") % {"version": version}
                    if version
                    else gettext("before company controls"),
                )
            )
    return rows


def _row(event: Event, numbers: dict, what: str, details: str) -> ControlRow:
    return ControlRow(
        event.occurred_at,
        event.metadata.get("actor_username") or "",
        numbers.get(event.stream_id, ""),
        what,
        details,
    )


def _decode(event: Event):
    return event.decoded()


# The report's CSV, after the section's name (`common.csv_export.Column`).
CONTROLS_CSV = (
    Column("section", "section"),
    Column("occurred_at", "occurred_at", iso),
    Column("actor", "actor"),
    Column("order", "order"),
    Column("what", "what"),
    Column("details", "details"),
)


def controls_csv_rows(report: dict[str, list]):
    """One CSV row per report row, its section first."""
    for name, rows in report.items():
        for row in rows:
            yield [SECTIONS[name], *cells(CONTROLS_CSV[1:], row)]
