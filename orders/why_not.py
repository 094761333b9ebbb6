"""Why a workflow action is not open, in the words of the workflow itself (issue #14 item 5).

Everything comes from the transitions declared in `orders.models.Order`: a final state says the
order is complete; a transition from the current state that the user's role lacks the
permission for names the roles that have it ("A Manager must resume it."); one whose condition
fails gives the condition's `hint` ("An order needs at least one line before it can be
submitted.").
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import role_label

from .commands import _verb as verb  # the workflow's verbs, kept with the commands' messages
from .models import Order, OrderState, state_in_sentence

FINAL_REASONS = {
    OrderState.DELIVERED: _(
        "This order is complete: it was delivered, nothing more happens to it."
    ),
    OrderState.CANCELLED: _("This order is cancelled: nothing more happens to it."),
}


def blocked_reasons(order: Order, user) -> list[str]:
    """One sentence per workflow action leaving `order`'s state that `user` may not take now
    (the final-state sentence for a delivered or cancelled order); [] when nothing is blocked."""
    if order.state in FINAL_REASONS:
        # A delivery marked by mistake may be reopened (a correction), by whom the FSM allows.
        reopenable = any(
            t.name == "reopen" for t in order.get_available_user_state_transitions(user)
        )
        return [] if reopenable else [str(FINAL_REASONS[order.state])]
    reasons: list[str] = []
    for t in order.get_all_state_transitions():
        if t.source not in (order.state, "*") or not t.custom.get("workflow"):
            continue
        if not t.has_perm(order, user):
            refusal = getattr(t.permission, "refusal", None)  # a policy's permission says why
            reasons.append(refusal(order, user) if refusal else _role_reason(t.permission, t.name))
            continue
        reasons += [
            str(
                getattr(condition, "hint", None)
                or gettext("%(action)s is not possible now.") % {"action": t.custom["label"]}
            )
            for condition in t.conditions
            if not condition(order)
        ]
    return list(dict.fromkeys(reasons))


def _role_reason(permission: str, name: str) -> str:
    app_label, codename = permission.split(".", 1)
    roles = list(
        Group.objects.filter(
            permissions__content_type__app_label=app_label, permissions__codename=codename
        )
        .order_by("name")
        .values_list("name", flat=True)
    )
    action = verb(name, infinitive=True)
    if not roles:
        return gettext("No role may %(action)s.") % {"action": action}
    who = gettext(" or ").join(str(role_label(role)) for role in roles)
    if len(roles) == 1 and who[0] in "AEIOU":
        return gettext("An %(role)s must %(action)s.") % {"role": who, "action": action}
    return gettext("A %(role)s must %(action)s.") % {"role": who, "action": action}


def action_reason(order: Order, user, name: str) -> str:
    """Why `user` may not take the workflow action `name` on `order` now, in one sentence ("" when
    it may): the final-state sentence, the state it would have to be in, the roles that may, or
    the failing condition's hint. The list's bulk bar says this per ticked order (issue #32)."""
    transitions = [
        t for t in order.get_all_state_transitions() if t.name == name and t.custom.get("workflow")
    ]
    here = [t for t in transitions if t.source in (order.state, "*")]
    if not here:
        if order.state in FINAL_REASONS:
            return str(FINAL_REASONS[order.state])
        sources = [str(OrderState(t.source).label) for t in transitions if t.source in OrderState]
        return gettext("It is %(state)s: only %(sources)s orders can be %(done)s.") % {
            "state": state_in_sentence(order.state),
            "sources": gettext(" or ").join(dict.fromkeys(sources)),
            "done": verb(name),
        }
    for t in here:
        if not t.has_perm(order, user):
            refusal = getattr(t.permission, "refusal", None)
            return str(refusal(order, user) if refusal else _role_reason(t.permission, t.name))
        for condition in t.conditions:
            if not condition(order):
                hint = getattr(condition, "hint", None)
                if hint is None:
                    hint = gettext("%(action)s is not possible now.") % {
                        "action": t.custom["label"]
                    }
                return str(hint)
    return ""
