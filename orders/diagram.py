"""The order workflow as a Mermaid state diagram, drawn from the FSM definition itself.

Nothing here restates the workflow: states come from `OrderState`, edges from the `@transition`
declarations on `Order`, and the roles on each edge from the group grants of the data migration
that gives the roles their permissions. Change any of those and the diagram follows.
"""

from __future__ import annotations

import importlib
import re
from functools import cache

from django_fsm import State

from .models import Order, OrderState

README_START = "<!-- workflow-diagram:start -->"
README_END = "<!-- workflow-diagram:end -->"
# Placing an order is a command, not an FSM transition; its permission labels the entry edge.
PLACE_PERMISSION = "orders.place_order"


@cache
def grants() -> dict[str, list[str]]:
    """Role (group) name -> permission codenames, as the data migration grants them."""
    # The module names start with a digit, so they can only be imported by name.
    found = {
        role: list(codenames)
        for role, codenames in importlib.import_module(
            "orders.migrations.0002_role_permissions"
        ).GRANTS.items()
    }
    added = importlib.import_module("orders.migrations.0006_company_controls").GRANTS
    for role, codenames in added.items():
        found.setdefault(role, []).extend(codenames)
    return found


def roles_with(permission) -> list[str]:
    """The roles whose group holds `permission` ("app_label.codename"), in GRANTS order; for a
    policy's permission (a callable listing the `permissions` it reads), those holding any."""
    if callable(permission) and hasattr(permission, "permissions"):
        roles = [role for name in permission.permissions for role in roles_with(name)]
        return [role for role in grants() if role in roles]
    if not isinstance(permission, str):
        # A callable permission is decided per user and order: a diagram cannot show it.
        raise ValueError(f"Cannot draw roles for a non-string permission: {permission!r}.")
    app_label, _, codename = permission.partition(".")
    if app_label != "orders":
        raise ValueError(f"Cannot draw roles for a permission outside orders: {permission!r}.")
    return [role for role, codenames in grants().items() if codename in codenames]


def targets(transition) -> list[str]:
    """The states a transition can lead to; RETURN_VALUE/GET_STATE list theirs up front."""
    if isinstance(transition.target, State):
        if not transition.target.allowed_states:
            raise ValueError(
                f"Transition {transition.name!r} computes its target without listing the "
                "allowed states, so it cannot be drawn."
            )
        return [str(state) for state in transition.target.allowed_states]
    return [str(transition.target)]


def corrections() -> frozenset[str]:
    """The transitions that are corrections (compensating events): a state only they leave is
    still drawn as final."""
    return frozenset(
        t.name for t in Order().get_all_state_transitions() if t.custom.get("correction")
    )


def edges() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(source, target, transition name, roles) for every state-changing transition."""
    order = list(OrderState.values)
    found = {
        (str(t.source), target, t.name, tuple(roles_with(t.permission)))
        for t in Order().get_all_state_transitions()
        if t.target is not None  # change/add_note keep the state: not an edge
        for target in targets(t)
    }
    return sorted(found, key=lambda e: (order.index(e[0]), order.index(e[1]), e[2]))


def mermaid() -> str:
    """A Mermaid `stateDiagram-v2` of the workflow, one line per edge, roles in the label."""
    found = edges()
    initial = Order._meta.get_field("state").default
    sources = {source for source, _, name, _ in found if name not in corrections()}
    lines = ["stateDiagram-v2"]
    lines += [f'    state "{label}" as {value}' for value, label in OrderState.choices]
    lines.append(f"    [*] --> {initial} : place{_roles_label(roles_with(PLACE_PERMISSION))}")
    lines += [
        f"    {source} --> {target} : {name}{_roles_label(roles)}"
        for source, target, name, roles in found
    ]
    # Final: a state no transition leaves (only notes, and corrections, may follow).
    lines += [f"    {state} --> [*]" for state in OrderState.values if state not in sources]
    return "\n".join(lines) + "\n"


def readme_block(diagram: str) -> str:
    """The README's generated section: the markers around a fenced mermaid block."""
    return f"{README_START}\n```mermaid\n{diagram}```\n{README_END}"


def replace_readme_block(text: str, diagram: str) -> str:
    """`text` with the section between the markers replaced by `diagram`."""
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"No {README_START} … {README_END} section found.")
    return pattern.sub(lambda _: readme_block(diagram), text, count=1)


def _roles_label(roles: list[str] | tuple[str, ...]) -> str:
    return f" ({', '.join(roles)})" if roles else " (no role)"
