"""What happened to orders: past-tense, immutable facts. No behaviour lives here beyond each
event's label and the details it shows in the event log."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from events.registry import DomainEvent, register, upcaster

from .policy_words import rule_words, setting_value_words


@dataclasses.dataclass(frozen=True, kw_only=True)
class Line:
    sku: str
    description: str
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.quantity * self.unit_price


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderDetails:
    """Who the order is for, as the order states it. `customer_id` is the company's customer
    the order was picked for (`customers.Customer`, its stream id as text; "" for a free-text
    order, and in every event written before customers existed: the decoder leaves a missing
    field at its default, so no upcaster is needed). The name, e-mail and address are the
    order's own copy, filled from the customer when picked and editable: an order is a
    document of what was agreed, which a later change of the customer does not rewrite."""

    customer_name: str
    customer_reference: str = ""
    customer_email: str = ""
    shipping_address: str = ""
    notes: str = ""
    customer_id: str = ""


# What is personal in an order (sealed under its data subject's key, docs/privacy.md): the
# customer's name, e-mail, shipping address and the order's notes, and notes added later. Not
# personal: the customer's reference (the company's own code for its customer), lines, amounts,
# states, carriers and tracking numbers, and the reasons given for workflow actions (business
# decisions an auditor must read; the forms ask not to put personal data there).
PERSONAL_DETAILS = (
    "details.customer_name",
    "details.customer_email",
    "details.shipping_address",
    "details.notes",
)


class _OrderContents(DomainEvent):
    """An event carrying an order's details: their personal fields are sealed under the
    order's own subject ("order:<stream id>"), or the customer's once the details name one."""

    personal = PERSONAL_DETAILS

    def data_subject(self) -> str:
        customer = getattr(self.details, "customer_id", "")
        return f"customer:{customer}" if customer else ""


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderPlaced(_OrderContents):
    label = _("Order placed")
    number: str
    sequence: int
    currency: str
    details: OrderDetails
    lines: tuple[Line, ...]

    def details_shown(self) -> list[tuple[str, str]]:
        return _customer_and_lines(self.details, self.lines, self.currency)


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderChanged(_OrderContents):
    """A draft's details and lines were replaced as a whole."""

    label = _("Details and lines changed")
    details: OrderDetails
    lines: tuple[Line, ...]

    def details_shown(self) -> list[tuple[str, str]]:
        return _customer_and_lines(self.details, self.lines)


@dataclasses.dataclass(frozen=True, kw_only=True)
class StateChanged(DomainEvent):
    """Base of the transition events: every one records where it left from and went to."""

    from_state: str
    to_state: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderSubmitted(StateChanged):
    label = _("Submitted for approval")


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderSubmittedAutoApproved(OrderSubmitted):
    """A submit that approved the order at once: the company auto-approves orders within its
    Staff limit. `to_state` is approved; the policy version and rule say why."""

    event_type = "OrderSubmittedAutoApproved"
    label = _("Submitted and approved automatically")
    policy_version: int
    rule_text: str

    def details_shown(self) -> list[tuple[str, str]]:
        return _approval_details(self.policy_version, self.rule_text, ())


@dataclasses.dataclass(frozen=True, kw_only=True)
class Approval:
    """One approval given: by whom (username) and when."""

    by: str
    at: dt.datetime


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderApproved(StateChanged):
    """The approval that completed the rule. Schema 2 records the company policy's version it
    satisfied (0: given before company controls existed), the rule in words, and the earlier
    approvals it counted (a two-Manager order's first one); this event's actor gave the last."""

    label = _("Approved")
    schema_version = 2
    policy_version: int = 0
    rule: str = ""  # staff | manager | two_managers ("" before controls)
    rule_text: str = ""  # the rule in words, with the amounts of that policy version
    earlier_approvals: tuple[Approval, ...] = ()

    def details_shown(self) -> list[tuple[str, str]]:
        return _approval_details(self.policy_version, self.rule_text, self.earlier_approvals)


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderApprovalRecorded(DomainEvent):
    """A first approval of an order that needs two: the order stays submitted and waits for a
    second approval by another Manager."""

    label = _("First approval (waits for a second)")
    policy_version: int
    rule: str
    rule_text: str

    def details_shown(self) -> list[tuple[str, str]]:
        return _approval_details(self.policy_version, self.rule_text, ())


def _approval_details(policy_version: int, rule: str, earlier) -> list[tuple[str, str]]:
    """Shown in the active language (called when the log is shown, never stored)."""
    if policy_version:
        version = gettext("version %(version)s") % {"version": policy_version}
    elif rule:  # the defaults (four eyes on) when a rule was recorded, else given before controls
        version = gettext("the defaults (version 0)")
    else:
        version = gettext("before company controls")
    shown = [(gettext("Policy"), version)]
    if rule:
        shown.append((gettext("Rule"), rule_words(rule)))
    if earlier:
        given = [
            gettext("%(who)s at %(when)s") % {"who": a.by, "when": f"{a.at:%Y-%m-%d %H:%M}"}
            for a in earlier
        ]
        shown.append((gettext("With"), ", ".join(given)))
    return shown


@upcaster("OrderApproved", from_version=1)
def _approved_v1_to_v2(payload: dict) -> dict:
    return {**payload, "policy_version": 0, "rule": "", "rule_text": "", "earlier_approvals": []}


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderRejected(StateChanged):
    label = _("Rejected")
    reason: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderFulfilmentStarted(StateChanged):
    label = _("Fulfilment started")


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderShipped(StateChanged):
    """Schema 2 renamed `tracking` to `tracking_number` (see the upcaster below)."""

    label = _("Shipped")
    schema_version = 2
    carrier: str
    tracking_number: str


@upcaster("OrderShipped", from_version=1)
def _shipped_v1_to_v2(payload: dict) -> dict:
    payload["tracking_number"] = payload.pop("tracking")
    return payload


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderDelivered(StateChanged):
    label = _("Delivered")


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderHeld(StateChanged):
    label = _("Put on hold")
    reason: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderResumed(StateChanged):
    label = _("Resumed")


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderCancelled(StateChanged):
    label = _("Cancelled")
    reason: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderAmended(_OrderContents, StateChanged):
    """A correction of an approved order before fulfilment: its details and lines replaced as a
    whole, with the reason; it goes back to submitted and needs approval again."""

    label = _("Amended (back for approval)")
    reason: str
    details: OrderDetails
    lines: tuple[Line, ...]

    def details_shown(self) -> list[tuple[str, str]]:
        return [(gettext("Reason"), self.reason), *_customer_and_lines(self.details, self.lines)]


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderReopened(StateChanged):
    """A delivery marked by mistake, undone by a compensating event: delivered back to shipped."""

    label = _("Delivery reopened")
    reason: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class NoteAdded(DomainEvent):
    label = _("Note added")
    personal = ("text",)  # notes are about people as often as about orders
    text: str

    def details_shown(self) -> list[tuple[str, str]]:
        return [(gettext("Note"), self.text)]


# --- company controls (the policy stream: one per company) ------------------------------------

REASON_ACTIONS = ("reject", "hold", "cancel")  # the workflow actions a company may ask reasons for


@dataclasses.dataclass(frozen=True, kw_only=True)
class PolicySettings:
    """A company's controls. The defaults are today's behaviour plus four eyes: no Staff band
    (`staff_limit` None: only Managers approve), no two-Manager band (`two_manager_limit` None),
    reasons for reject, hold and cancel, delivered orders reopenable for 7 days. Amounts are in
    the company's currency; an order of exactly `staff_limit` is in the Staff band, one of
    exactly `two_manager_limit` still needs one Manager."""

    four_eyes: bool = True
    staff_limit: Decimal | None = None
    auto_approve: bool = False
    two_manager_limit: Decimal | None = None
    reasons_required: tuple[str, ...] = REASON_ACTIONS
    reopen_days: int = 7
    # Days after a customer's last order closed before the worker erases their personal data
    # (docs/privacy.md); None: kept until erased on request.
    retention_days: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class PolicyChange:
    """One setting changed: its name in words, before → after as shown."""

    setting: str
    before: str
    after: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class CompanyPolicyChanged(DomainEvent):
    """A Manager changed the company's controls: the whole new policy and what changed. The
    stream's version is the policy's version."""

    label = _("Company controls changed")
    settings: PolicySettings
    changes: tuple[PolicyChange, ...]

    def details_shown(self) -> list[tuple[str, str]]:
        # The setting's words are stored in English (orders/policy.py SETTING_WORDS, marked for
        # translation there): translated when shown, so old events read in either language.
        return [
            (
                gettext(c.setting),
                f"{setting_value_words(c.before)} → {setting_value_words(c.after)}",
            )
            for c in self.changes
        ]


def _customer_and_lines(details: OrderDetails, lines, currency: str = "") -> list:
    total = f"{lines_total(lines)} {currency}".strip()
    return [
        (gettext("Customer"), details.customer_name),
        (gettext("Lines"), str(len(lines))),
        (gettext("Total"), total),
    ]


# What `contents_diff` calls each part of an order, in the order the form shows them.
CHANGEABLE_FIELDS = {
    "customer_name": _("customer name"),
    "customer_reference": _("reference"),
    "customer_email": _("email"),
    "shipping_address": _("shipping address"),
    "notes": _("notes"),
    "customer_id": _("customer record"),  # the id of the customer picked ("" for none)
}


def contents_diff(before, after) -> list[str]:
    """What changed between two contents of an order (anything with `details` and `lines`: an
    `OrderPlaced`, `OrderChanged` or `OrderAmended`), field by field and line by line, before →
    after: `["shipping address: 1 Main St → 2 High St", "line SKU-1 quantity: 2 → 3",
    "line SKU-9 added: 1 x Thing at 5.00"]`. Lines are matched by SKU (in order)."""
    diff = [
        f"{words}: {getattr(before.details, name) or '—'} → {getattr(after.details, name) or '—'}"
        for name, words in CHANGEABLE_FIELDS.items()
        if getattr(before.details, name) != getattr(after.details, name)
    ]
    unmatched = list(before.lines)
    for line in after.lines:
        old = next((o for o in unmatched if o.sku == line.sku), None)
        if old is None:
            diff.append(
                gettext("line %(sku)s added: %(line)s")
                % {"sku": line.sku, "line": _line_words(line)}
            )
            continue
        unmatched.remove(old)
        for name in ("description", "quantity", "unit_price"):
            if getattr(old, name) != getattr(line, name):
                what = gettext("line %(sku)s %(field)s") % {
                    "sku": line.sku,
                    "field": LINE_FIELDS[name],
                }
                diff.append(f"{what}: {getattr(old, name)} → {getattr(line, name)}")
    diff += [
        gettext("line %(sku)s removed: %(line)s") % {"sku": old.sku, "line": _line_words(old)}
        for old in unmatched
    ]
    return diff


LINE_FIELDS = {
    "description": _("description"),
    "quantity": _("quantity"),
    "unit_price": _("unit price"),
}


def _line_words(line: Line) -> str:
    return gettext("%(quantity)s x %(what)s at %(price)s") % {
        "quantity": line.quantity,
        "what": line.description or line.sku,
        "price": line.unit_price,
    }


def lines_total(lines) -> Decimal:
    return sum((line.total for line in lines), Decimal("0.00"))
