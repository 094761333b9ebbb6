"""django-fsm-2's `graph_transitions`, without the actions that keep the state.

django-fsm-2 draws a transition declared with `target=None` (ours: `change`, `add_note`, which
keep the order's state) as an edge into a state named "None" (django-fsm#144, django-fsm-2#54).
This override passes those transitions to the library's own `--exclude`, found from the FSM
declaration, so the graph shows only moves between real states. It takes effect because
`orders` comes before `django_fsm` in INSTALLED_APPS (the first app with a command wins).
"""

from django_fsm.management.commands import graph_transitions

from orders.models import Order


def state_keeping_transitions() -> list[str]:
    """The names of `Order`'s transitions whose target is None (they keep the state)."""
    field = Order._meta.get_field("state")
    return sorted({t.name for t in field.get_all_transitions(Order) if t.target is None})


class Command(graph_transitions.Command):
    help = graph_transitions.Command.help + " Actions that keep the state are left out."

    def handle(self, *args, **options):
        excluded = [name for name in options.get("exclude", "").split(",") if name]
        options["exclude"] = ",".join(excluded + state_keeping_transitions())
        return super().handle(*args, **options)
