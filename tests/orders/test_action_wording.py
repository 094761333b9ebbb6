"""Issue #32 (staff's day): the sentences naming an action read as English for every action,
and a conflict caused by the user's own other window does not blame "someone else"."""

import re

import pytest

from accounts.models import Role
from orders import commands, why_not
from orders.exceptions import ActionNotPermitted
from orders.models import Order, OrderState
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

# Every workflow action, as the verb phrase on "it" a reader expects.
ON_IT = {
    "submit": "submit it",
    "approve": "approve it",
    "reject": "reject it",
    "start_fulfilment": "start fulfilment of it",
    "ship": "ship it",
    "deliver": "mark it as delivered",
    "hold": "put it on hold",
    "resume": "resume it",
    "cancel": "cancel it",
    "reopen": "reopen it",
}
# Who may approve is the company's policy (orders/policy.py): its refusals and hints name the
# rule ("needs a second Manager's approval…"), tested with the controls; not a role's sentence.
BY_ROLE = sorted(set(ON_IT) - {"approve"})


def test_every_workflow_action_has_its_wording():
    names = {t.name for t in Order().get_all_state_transitions() if t.custom.get("workflow")}

    assert names == set(ON_IT)


@pytest.mark.parametrize("name", BY_ROLE)
def test_the_why_not_hint_of_each_action_reads_as_a_sentence(acme, name):
    permission = next(t.permission for t in Order().get_all_state_transitions() if t.name == name)

    sentence = why_not._role_reason(permission, name)

    roles = r"An? [A-Z][a-z]+( or [A-Z][a-z]+)*"
    assert re.fullmatch(rf"{roles} must {ON_IT[name]}\.", sentence), sentence


def test_an_auditor_reads_every_closed_action_with_correct_grammar(acme):
    auditor = factories.user(Role.AUDITOR, acme)
    sentences = set()
    for state in OrderState.values:
        sentences.update(why_not.blocked_reasons(Order(state=state, line_count=1), auditor))

    hints = {s for s in sentences if " must " in s}
    # Reopen is a correction (a delivered order, within the company's window): not a hint.
    assert {re.sub(r"^An? \w+( or \w+)* must ", "", s) for s in hints} == {
        f"{phrase}." for name, phrase in ON_IT.items() if name != "reopen"
    }
    assert "must put on hold it" not in " ".join(sentences)


@pytest.mark.parametrize("name", BY_ROLE)
def test_the_refusal_for_a_role_without_the_permission_reads_as_a_sentence(acme, name):
    auditor = factories.user(Role.AUDITOR, acme)
    state = next(t.source for t in Order().get_all_state_transitions() if t.name == name)
    order = Order(number="ACME-000001", state=state, line_count=1, held_from="approved")

    with pytest.raises(ActionNotPermitted) as refused:
        commands.check_transition(order, name, auditor)

    expected = re.sub(r"\bit\b", "this order", ON_IT[name])
    assert str(refused.value) == f"Your role may not {expected}."


def test_a_conflict_with_the_users_own_other_window_does_not_blame_someone_else(
    client, acme, manager
):
    order = factories.order_in_state("submitted", acme)
    commands.approve(order.id, actor=manager, expected_version=order.version)  # another window
    log_in(client, manager)

    response = client.post(
        f"/orders/{order.id}/transitions/start_fulfilment/", {"version": order.version}
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "by you in another window" in html
    assert "someone else" not in html
