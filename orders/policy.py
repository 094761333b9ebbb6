"""A company's controls (issue #28): the policy in force, and what it asks of an approval.

The policy is a stream of `CompanyPolicyChanged` events per company (stream type "policy"): the
stream's version is the policy's version, and the policy in force at any moment is the last
event recorded before it (version 0, the defaults, before any). Nothing here writes; the
commands read the policy inside their write transaction, and the FSM on `orders.Order` asks it
through the functions below (`may_approve` is the `approve` transition's permission,
`approval_target` its target, `auto_approves` the `submit` target, `within_reopen_window` the
`reopen` condition), so the workflow stays declared in one place.

An order here is an `orders.Order` (or anything with its fields: `company_id`, `version`,
`total_cents`, `authors`, `approvals`); a command may attach the policy it read (`order.policy`)
and its clock (`order.now`). Without them the policy is read once and kept on the order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import uuid
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from common.money import from_cents
from events import store

from .events import CompanyPolicyChanged, PolicySettings
from .policy_words import (
    APPROVED_ON_SUBMIT,
    IMPORTED,
    MANAGER_ABOVE,
    MANAGER_ANY_AMOUNT,
    MANAGER_BETWEEN,
    MANAGER_UP_TO,
    STAFF_UP_TO,
    TWO_MANAGERS_ABOVE,
)

POLICY_STREAM = "policy"
_NAMESPACE = uuid.UUID("5d0c7d8e-7a51-4c36-9b7e-28c0a1f1c0de")


def policy_stream_id(company_id) -> uuid.UUID:
    """The id of the company's policy stream (derived from the company id: one per company)."""
    return uuid.uuid5(_NAMESPACE, f"policy:{company_id}")


@dataclasses.dataclass(frozen=True)
class Policy:
    """The policy in force: its `version` (0: the defaults, nothing recorded yet), settings,
    the company's currency, and who set it when (None for version 0)."""

    version: int = 0
    settings: PolicySettings = dataclasses.field(default_factory=PolicySettings)
    currency: str = ""
    changed_at: dt.datetime | None = None
    changed_by: str = ""
    changes: tuple = ()  # the `PolicyChange`s that made this version

    def __getattr__(self, name):  # policy.four_eyes, policy.staff_limit, ...
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.settings, name)

    def money(self, amount: Decimal | None) -> str:
        return f"{amount:,.2f} {self.currency}".strip() if amount is not None else "—"


def policy_history(
    company_id, *, until: dt.datetime | None = None, currency: str | None = None
) -> list[Policy]:
    """Every version of the company's policy recorded (before `until`), oldest first.
    `currency` is the company's, when the caller has it (else read).

    Inside a command the stream's last event was read with the order (`store.load_current`'s
    related streams): then a policy never changed costs no read at all, and a changed one is
    taken from `_histories`, keyed by that event's id (the id names the stream's whole
    content, so the entry cannot be stale); otherwise the stream is read."""
    if company_id is None:
        return []
    if currency is None:
        currency = _currency(company_id)
    stream_id = policy_stream_id(company_id)
    head = store.preloaded_head(stream_id)
    if head is None:  # read with the order: no policy recorded yet
        versions = ()
    elif head is store.NOT_LOADED:
        versions = None
    else:
        versions = _histories.get((uuid.UUID(str(head.event_id)), currency))
    if versions is None:
        events = store.read_stream(stream_id, company=company_id)
        versions = tuple(
            Policy(
                event.version,
                event.data.settings,
                currency,
                event.occurred_at,
                event.actor_username,
                event.data.changes,
            )
            for event in events
        )
        if events:
            if len(_histories) >= _HISTORIES_KEPT:
                _histories.clear()
            _histories[(events[-1].id, currency)] = versions
    # As `store.read_stream(until=...)`: up to the first version recorded later than `until`.
    return list(itertools.takewhile(lambda p: until is None or p.changed_at <= until, versions))


# (last event id of a policy stream, currency) -> that stream's `Policy` versions; bounded.
_histories: dict[tuple[uuid.UUID, str], tuple[Policy, ...]] = {}
_HISTORIES_KEPT = 1024


def policy_in_force(
    company_id, *, at: dt.datetime | None = None, currency: str | None = None
) -> Policy:
    """The company's policy at moment `at` (now when None): its last version recorded before."""
    if currency is None:
        currency = _currency(company_id)
    versions = policy_history(company_id, until=at, currency=currency)
    return versions[-1] if versions else Policy(currency=currency)


def users_policy(user) -> Policy:
    """The policy of `user`'s company, read once per user object (one request), as Django keeps
    permissions: for what a page offers. Commands read it afresh in their transaction."""
    policy = getattr(user, "_ledgerline_policy", None)
    if policy is None:
        policy = user._ledgerline_policy = policy_in_force(
            user.company_id, currency=_loaded_currency(user)
        )
    return policy


def _loaded_currency(user) -> str | None:
    """The currency of `user`'s company if the company was loaded with the user, else None."""
    state = getattr(user, "_state", None)  # the importer's operator is not a model
    company = state.fields_cache.get("company") if state is not None else None
    return company.currency if company is not None else None


def _currency(company_id) -> str:
    from accounts.models import Company  # a floor below: read when asked, not at import

    return Company.objects.filter(pk=company_id).values_list("currency", flat=True).first() or ""


def policy_of(order, user=None) -> Policy:
    """The policy the order is judged by: the one a command attached, else read (once per
    order); for a probe (an order not loaded, as the queues and the list ask) the user's."""
    policy = order.__dict__.get("policy")
    if policy is None:
        if not order.version and user is not None:
            return users_policy(user)
        # A command's actor was read with its company (`actor_now`): no read of the currency.
        currency = _loaded_currency(order.__dict__.get("actor"))
        policy = order.policy = policy_in_force(order.company_id, currency=currency)
    return policy


# --- approval ------------------------------------------------------------------------------

STAFF, MANAGER, TWO_MANAGERS = "staff", "manager", "two_managers"
MANAGER_PERMISSION = "orders.approve_order"
STAFF_PERMISSION = "orders.approve_small_order"


@dataclasses.dataclass(frozen=True)
class Rule:
    """What an approval of an order of some amount needs: `name` (staff | manager |
    two_managers), how many approvals by different people, whether they must be Managers, and
    the rule in words with the policy's amounts."""

    name: str
    needed: int
    managers_only: bool
    text: str


def approval_rule(policy: Policy, total: Decimal) -> Rule:
    """The rule for an order of `total` (major units, the company's currency) under `policy`."""
    a, b = policy.staff_limit, policy.two_manager_limit
    if b is not None and total > b:
        return Rule(TWO_MANAGERS, 2, True, TWO_MANAGERS_ABOVE % {"a": policy.money(b)})
    if a is not None and total <= a:
        return Rule(STAFF, 1, False, STAFF_UP_TO % {"a": policy.money(a)})
    if a is not None and b is not None:
        text = MANAGER_BETWEEN % {"a": policy.money(a), "b": policy.money(b)}
    elif a is not None:
        text = MANAGER_ABOVE % {"a": policy.money(a)}
    elif b is not None:
        text = MANAGER_UP_TO % {"a": policy.money(b)}
    else:
        text = MANAGER_ANY_AMOUNT
    return Rule(MANAGER, 1, True, text)


def order_total(order) -> Decimal:
    return from_cents(order.total_cents or 0)


def approval_refusal(order, user) -> str:
    """Why `user` may not approve `order` now, in the workflow's words; "" when they may.

    On an order not yet loaded (a probe: version 0, as the queues and the bulk bar ask) only
    the role counts: whether `user` could approve some order under the policy."""
    if _records_history(user):
        return ""
    manager = user.has_perm(MANAGER_PERMISSION)
    if not order.version and manager:
        return ""
    policy = policy_of(order, user)
    staff = user.has_perm(STAFF_PERMISSION) and policy.staff_limit is not None
    if not order.version:
        return "" if staff else gettext("A Manager must approve it.")
    rule = approval_rule(policy, order_total(order))
    if rule.name == TWO_MANAGERS and not manager:
        return _waiting_words(order) or (
            gettext("Orders above %(limit)s need two Managers' approvals.")
            % {"limit": policy.money(policy.two_manager_limit)}
        )
    if rule.managers_only and not manager:
        limit = policy.staff_limit
        if limit is None:
            return gettext("A Manager must approve it.")
        return gettext("Orders above %(limit)s need a Manager's approval.") % {
            "limit": policy.money(limit)
        }
    if not (manager or staff):
        return gettext("Your role may not approve orders.")
    username = user.get_username()
    if policy.four_eyes and username in (order.authors or ()):
        return gettext(
            "You placed this order or last changed its contents: someone else must approve it "
            "(four eyes)."
        )
    mine = [a for a in order.approvals or () if a["by"] == username]
    if mine:
        return gettext(
            "This order needs a second Manager's approval: you approved at %(time)s."
        ) % {"time": _hhmm(mine[0])}
    return ""


def may_approve(order, user) -> bool:
    """The FSM permission of `approve`: the role, the amount band and four eyes (see above)."""
    return not approval_refusal(order, user)


may_approve.refusal = approval_refusal
may_approve.permissions = (MANAGER_PERMISSION, STAFF_PERMISSION)


def waiting_for_second(order) -> bool:
    """Whether a submitted order has one approval of the two it needs."""
    return order.state == "submitted" and len(order.approvals or ()) == 1


def waiting_words(order) -> str:
    """ "needs a second Manager's approval: anna approved at 10:42" for an order waiting so."""
    return _waiting_words(order)


def _waiting_words(order) -> str:
    if not order.approvals:
        return ""
    first = order.approvals[0]
    return gettext("Needs a second Manager's approval: %(who)s approved at %(time)s.") % {
        "who": first["by"],
        "time": _hhmm(first),
    }


def _hhmm(approval: dict) -> str:
    return timezone.localtime(dt.datetime.fromisoformat(approval["at"])).strftime("%H:%M")


def approval_target(order) -> str:
    """`approve`'s target: approved when this approval completes the rule, else submitted (the
    first approval of a two-Manager order)."""
    if _records_history(order.__dict__.get("actor")):
        return "approved"
    rule = approval_rule(policy_of(order), order_total(order))
    return "approved" if len(order.approvals or ()) + 1 >= rule.needed else "submitted"


def _records_history(actor) -> bool:
    """The importer records approvals given in the previous system (`ImportOperator`)."""
    return getattr(actor, "records_history", False)


def approval_event(order, to_state: str, actor, **fields):
    """The event of an approval: `OrderApproved` when it completes the rule, else
    `OrderApprovalRecorded`; each records the policy version and the rule."""
    from .events import Approval, OrderApprovalRecorded, OrderApproved

    policy = policy_of(order)
    rule = approval_rule(policy, order_total(order))
    common = {"policy_version": policy.version, "rule": rule.name, "rule_text": rule.text}
    if _records_history(actor):
        common.update(rule="imported", rule_text=IMPORTED)
    if to_state != "approved":
        return OrderApprovalRecorded(**common)
    earlier = tuple(
        Approval(by=a["by"], at=dt.datetime.fromisoformat(a["at"])) for a in order.approvals or ()
    )
    return OrderApproved(
        from_state=order.state, to_state=to_state, earlier_approvals=earlier, **common
    )


def auto_approves(order) -> bool:
    """Whether submitting `order` approves it at once: the company chose auto-approval and the
    order is within the Staff limit."""
    if _records_history(order.__dict__.get("actor")):
        return False  # an import records its own approval step, if any
    policy = policy_of(order)
    return (
        policy.auto_approve
        and policy.staff_limit is not None
        and order_total(order) <= policy.staff_limit
    )


def submit_event(order, to_state: str, actor, **fields):
    """`OrderSubmitted`; `OrderSubmittedAutoApproved`, with the policy and rule, when the submit
    approved the order."""
    from .events import OrderSubmitted, OrderSubmittedAutoApproved

    if to_state != "approved":
        return OrderSubmitted(from_state=order.state, to_state=to_state)
    policy = policy_of(order)
    return OrderSubmittedAutoApproved(
        from_state=order.state,
        to_state=to_state,
        policy_version=policy.version,
        rule_text=APPROVED_ON_SUBMIT % {"a": policy.money(policy.staff_limit)},
    )


# --- reasons and corrections -----------------------------------------------------------------


def reason_required(order, name: str) -> bool:
    """Whether the workflow action `name` needs a reason under the order's policy."""
    return name in policy_of(order).reasons_required


def within_reopen_window(order) -> bool:
    """`reopen`'s condition: the delivery was marked within the company's reopen window."""
    delivered_at = order.delivered_at
    if delivered_at is None:
        return False
    now = order.__dict__.get("now") or timezone.now()
    return now - delivered_at <= dt.timedelta(days=policy_of(order).reopen_days)


within_reopen_window.hint = gettext_lazy(
    "This delivery is older than the company's reopen window: it can no longer be reopened."
)


def describe_change(name: str, before, after) -> tuple[str, str, str] | None:
    """(setting in words, before, after) when a policy setting changed, else None."""
    if before == after:
        return None
    return SETTING_WORDS[name], _shown(name, before), _shown(name, after)


# Stored in the event in English (gettext_noop marks them for the catalogue only); the log
# shows them translated (`CompanyPolicyChanged.details_shown`).
SETTING_WORDS = {
    "four_eyes": gettext_noop("Four eyes"),
    "staff_limit": gettext_noop("Staff may approve up to"),
    "auto_approve": gettext_noop("Auto-approve up to the Staff limit"),
    "two_manager_limit": gettext_noop("Two Managers above"),
    "reasons_required": gettext_noop("Reasons required for"),
    "reopen_days": gettext_noop("Reopen window (days)"),
    "retention_days": gettext_noop("Personal data kept after the last order closed (days)"),
}


def _shown(name: str, value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return ", ".join(value) or "none"
    return str(value)


def policy_event(before: PolicySettings, after: PolicySettings) -> CompanyPolicyChanged | None:
    """The event recording a change from `before` to `after`; None when nothing changed."""
    from .events import PolicyChange

    changes = tuple(
        PolicyChange(setting=words, before=old, after=new)
        for name in SETTING_WORDS
        if (found := describe_change(name, getattr(before, name), getattr(after, name)))
        for words, old, new in [found]
    )
    return CompanyPolicyChanged(settings=after, changes=changes) if changes else None


def managers_needed(company_id) -> tuple[int, str]:
    """(active Managers the company's controls need, why in the active language): two with
    two-Manager approval on (the team page warns before fewer would remain), else one."""
    current = policy_in_force(company_id)
    if current.two_manager_limit is None:
        return 1, ""
    return 2, gettext(
        "orders above %(limit)s need two different Managers' approvals, so they could no longer "
        "be approved."
    ) % {"limit": current.money(current.two_manager_limit)}
