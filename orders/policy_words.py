"""The words of a company's controls (orders.policy): the approval rules and the policy's
settings as the log stores them (English) and as people read them (translated when shown), in a
module of their own so the events that record them can show them without importing the policy
that reads those events."""

from __future__ import annotations

import re

from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

# The rule in words is stored in the log in English (`Rule.text`, an approval's `rule_text`)
# and translated when shown (`rule_words`), so old events read in either language. Each wording
# is written here once, marked for the catalogue; its placeholders stand for amounts.
TWO_MANAGERS_ABOVE = gettext_noop("above %(a)s: two different Managers")
STAFF_UP_TO = gettext_noop("up to %(a)s: one Staff member or Manager")
APPROVED_ON_SUBMIT = gettext_noop("up to %(a)s: approved on submit")
MANAGER_ABOVE = gettext_noop("above %(a)s: one Manager")
MANAGER_UP_TO = gettext_noop("up to %(a)s: one Manager")
MANAGER_BETWEEN = gettext_noop("%(a)s to %(b)s: one Manager")
MANAGER_ANY_AMOUNT = gettext_noop("any amount: one Manager")
IMPORTED = gettext_noop("imported: approved in the previous system")


def _stored(wording: str) -> re.Pattern:
    """What `wording` stores: its text with any text in place of each %(name)s."""
    return re.compile("^" + re.sub(r"%\\\((\w+)\\\)s", r"(?P<\1>.+)", re.escape(wording)) + "$")


# In this order: "up to 5: one Manager" would read as "%(a)s to %(b)s" too.
RULE_PATTERNS = [
    (_stored(wording), wording)
    for wording in (
        TWO_MANAGERS_ABOVE,
        STAFF_UP_TO,
        APPROVED_ON_SUBMIT,
        MANAGER_ABOVE,
        MANAGER_UP_TO,
        MANAGER_BETWEEN,
        MANAGER_ANY_AMOUNT,
        IMPORTED,
    )
]


def rule_words(text: str) -> str:
    """A rule in words as stored (English), in the active language; unknown text as it is."""
    for pattern, words in RULE_PATTERNS:
        match = pattern.match(text or "")
        if match:
            return gettext(words) % match.groupdict()
    return text


def setting_value_words(value: str) -> str:
    """A policy setting's value as `PolicyChange` stores it ("on", "none", "reject, hold",
    "500.00"), in the active language."""
    words = {"on": _("on"), "off": _("off"), "none": _("none"), **REASON_ACTION_WORDS}
    return ", ".join(str(words.get(part, part)) for part in str(value).split(", "))


# The actions a company may ask reasons for, as the workflow's buttons name them.
REASON_ACTION_WORDS = {
    "reject": pgettext_lazy("workflow action", "Reject"),
    "hold": pgettext_lazy("workflow action", "Put on hold"),
    "cancel": pgettext_lazy("workflow action", "Cancel order"),
}
