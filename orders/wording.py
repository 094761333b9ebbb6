"""What the order pages say, in the workflow's own words: the verbs and state labels declared on
the FSM (`orders.models`, read through `commands._verb` / `commands.event_verb`, as
`why_not.py` and the commands' refusals do), put into the sentences the views show. Views only
choose which sentence (issue #23 §3: user-facing wording out of views.py)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from common.templatetags.local_time import local_or_utc

from . import commands, policy
from .models import OrderState, state_in_sentence
from .policy_words import rule_words

AMENDED = gettext_lazy("it waits for approval again.")
CORRECT_BELOW = gettext_lazy("Please correct the errors below.")
NOTHING_CHANGED = gettext_lazy("Nothing changed.")
CONTROLS_CHANGED_MEANWHILE = gettext_lazy(
    "Another Manager changed the controls meanwhile: check the version below, then save again."
)


def no_such_action(name: str) -> str:
    return gettext("There is no action called “%(name)s”.") % {"name": name[:50]}


def created(number: str) -> str:
    return gettext("Order %(number)s was created as a draft.") % {"number": number}


def saved(number: str) -> str:
    return gettext("Order %(number)s was saved.") % {"number": number}


def amended(number: str) -> str:
    return gettext("Order %(number)s was amended: %(then)s") % {"number": number, "then": AMENDED}


def controls_saved(version: int) -> str:
    return gettext("Company controls saved as version %(version)s.") % {"version": version}


def action_done(name: str, order) -> str:
    """What an action did, naming the order and where it stands now: "Order ACME-000001 is now
    approved."; when the move is not what the verb says, the verb first: "Order ACME-000001 was
    rejected and is now a draft." (QA: "is now draft"); a first of two approvals says it waits
    for the second."""
    number = order.number
    if name == "add_note":
        return gettext("Note added to order %(number)s.") % {"number": number}
    done = commands._verb(name)
    if policy.waiting_for_second(order):
        return gettext(
            "Order %(number)s was %(done)s: it now waits for a second Manager's approval."
        ) % {"number": number, "done": done}
    now = state_in_sentence(order.state)
    if now.split()[-1] in done:  # "put on hold" says "on hold" already
        return gettext("Order %(number)s is now %(now)s.") % {"number": number, "now": now}
    return gettext("Order %(number)s was %(done)s and is now %(now)s.") % {
        "number": number,
        "done": done,
        "now": now,
    }


def not_amendable(summary) -> str:
    return gettext(
        "Order %(number)s is %(state)s: only an approved order that has not started fulfilment "
        "can be amended."
    ) % {"number": summary.number, "state": state_in_sentence(summary.state)}


def not_a_draft(summary) -> str:
    return gettext("Order %(number)s is %(state)s: it cannot be changed now.") % {
        "number": summary.number,
        "state": state_in_sentence(summary.state),
    }


def copy_what_you_typed(error) -> str:
    return gettext("%(error)s What you typed is below, not saved: copy what you need.") % {
        "error": error
    }


def conflict_explanation(done: str, summary) -> str:
    """For the edit form: what changed the order since the user's page was drawn (`done`, from
    `what_happened`), and what they can do."""
    if summary.state != OrderState.DRAFT:
        return gettext(
            "%(done)s: it is no longer a draft, so it cannot be edited. What you typed is below, "
            "not saved: copy what you need, then open the order to see where it stands."
        ) % {"done": done}
    return gettext(
        "%(done)s (it is now at version %(version)s). What you typed is below, not saved: "
        "Save draft again to replace that change with yours, or open the order to compare first."
    ) % {"done": done, "version": summary.version}


def what_happened(user, summary, change, seen_version: int | None) -> str:
    """The order's newest change (`change`, a history entry, or None) since `seen_version`,
    naming who and when: "ACME-000316 was approved by acme.manager at 14:02" ("by you in
    another window" for the user's own change; the date is added when it was not today)."""
    if change is None or seen_version is None or change.version <= seen_version:
        # Nothing happened after that page (a forged or mistyped version): say only the facts.
        return gettext("%(number)s is at version %(version)s, not the one your page showed") % {
            "number": summary.number,
            "version": summary.version,
        }
    mine = change.actor == user.get_username()
    who = gettext("you in another window") if mine else (change.actor or gettext("someone else"))
    moment = local_or_utc(change.occurred_at)
    when = (
        f"{moment:%H:%M}" if moment.date() == timezone.localdate() else f"{moment:%Y-%m-%d %H:%M}"
    )
    return gettext("%(number)s was %(done)s by %(who)s at %(when)s") % {
        "number": summary.number,
        "done": commands.event_verb(change.event_type),
        "who": who,
        "when": when,
    }


def rules_in_words(current) -> list[str]:
    """The approval rules of the policy `current`, one sentence per band."""
    bands = []
    a, b = current.staff_limit, current.two_manager_limit
    if a is not None:
        bands.append(rule_words(policy.approval_rule(current, a).text))
    middle = (a + Decimal("0.01")) if a is not None else Decimal("0")
    if b is None or middle <= b:
        bands.append(rule_words(policy.approval_rule(current, middle).text))
    if b is not None:
        bands.append(rule_words(policy.approval_rule(current, b + Decimal("0.01")).text))
    return list(dict.fromkeys(bands))
