"""The workflow diagram is drawn from the FSM, agrees with the spec and is what the README shows."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from orders import diagram
from tests.orders.workflow_spec import (
    DRAWN_ROLES,
    FINAL_STATES,
    HELD_FROM,
    HOLDABLE,
    MOVES,
    POLICY_EDGES,
    STATES,
)

README = Path(settings.BASE_DIR) / "README.md"
EDGE = re.compile(r"^    (\w+) --> (\w+) : (\w+) \(([^)]*)\)$")


def _readme_diagram(text: str) -> str:
    match = re.search(
        re.escape(diagram.README_START)
        + r"\n```mermaid\n(.*?)```\n"
        + re.escape(diagram.README_END),
        text,
        re.DOTALL,
    )
    assert match, "README has no generated mermaid block between the workflow-diagram markers"
    return match.group(1)


def test_the_readme_shows_the_current_workflow_diagram():
    assert _readme_diagram(README.read_text(encoding="utf-8")) == diagram.mermaid(), (
        "README.md is out of date: run `python manage.py workflow_diagram --write-readme`."
    )


def test_the_diagram_has_exactly_the_moves_and_roles_of_the_spec():
    drawn = {
        (source, target, name, roles)
        for source, target, name, roles in (
            EDGE.match(line).groups() for line in diagram.mermaid().splitlines() if EDGE.match(line)
        )
    }
    edges = {
        (source, target, name, DRAWN_ROLES.get(name, roles))
        for (name, source), (to_state, roles) in MOVES.items()
        for target in (HOLDABLE if to_state == HELD_FROM else (to_state,))
    } | POLICY_EDGES
    expected = {
        (source, target, name, ", ".join(r.value for r in sorted(roles, key=_role_order)))
        for source, target, name, roles in edges
    }

    assert drawn == expected


def test_the_diagram_starts_in_draft_and_ends_in_the_final_states():
    lines = diagram.mermaid().splitlines()

    assert lines[0] == "stateDiagram-v2"
    assert "    [*] --> draft : place (Staff, Manager)" in lines
    ends = {line.split()[0] for line in lines if line.endswith("--> [*]")}
    assert ends == FINAL_STATES
    for state in STATES:
        assert any(line.endswith(f" as {state}") for line in lines)


def test_workflow_diagram_prints_the_diagram(capsys):
    call_command("workflow_diagram")

    assert capsys.readouterr().out == diagram.mermaid()


def test_workflow_diagram_write_readme_replaces_only_the_marked_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# Title\n\nBefore.\n\n{diagram.README_START}\nold stuff\n{diagram.README_END}\n"
        "\nAfter.\n",
        encoding="utf-8",
    )

    call_command("workflow_diagram", "--write-readme", "--readme", str(readme), stdout=None)

    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nBefore.\n\n")
    assert text.endswith(f"{diagram.README_END}\n\nAfter.\n")
    assert "old stuff" not in text
    assert _readme_diagram(text) == diagram.mermaid()


def test_workflow_diagram_refuses_a_readme_without_the_markers(tmp_path):
    from django.core.management.base import CommandError

    readme = tmp_path / "README.md"
    readme.write_text("# No markers here\n", encoding="utf-8")

    with pytest.raises(CommandError, match="No <!-- workflow-diagram:start -->"):
        call_command("workflow_diagram", "--write-readme", "--readme", str(readme))
    assert readme.read_text(encoding="utf-8") == "# No markers here\n"


def test_graph_transitions_prints_dot_source_of_the_workflow(capsys):
    call_command("graph_transitions", "orders.Order")

    out = capsys.readouterr().out
    assert "digraph" in out
    resume = '"orders.order.state.on_hold" -> "orders.order.state.in_fulfilment" [label=resume]'
    assert resume in out


def _role_order(role) -> int:
    return list(diagram.grants()).index(role.value)


def test_graph_transitions_draws_no_none_state_and_leaves_out_actions_that_keep_the_state(
    capsys,
):
    """django-fsm-2 draws target=None (an action that keeps the state) as a state "None" with
    edges into it (django-fsm#144, django-fsm-2#54); our override leaves those actions out."""
    call_command("graph_transitions", "orders.Order")

    out = capsys.readouterr().out
    assert "None" not in out
    assert "label=change" not in out and "label=add_note" not in out
    assert '"orders.order.state.draft" -> "orders.order.state.submitted" [label=submit]' in out


def test_graph_transitions_still_takes_further_exclusions(capsys):
    call_command("graph_transitions", "orders.Order", "--exclude", "resume")

    out = capsys.readouterr().out
    assert "label=resume" not in out and "None" not in out
