"""The list's bulk bar (issue #32): each ticked row carries, for every bulk action it does not
allow, the workflow's own sentence why (orders/why_not.py); the bar's script counts them
(tests/e2e/test_phone_and_bulk.py shows it in Chromium)."""

from __future__ import annotations

import html
import json
import re

import pytest

from accounts.models import Role
from orders import why_not
from orders.models import Order
from tests import factories
from tests.factories import log_in, order_in_state

pytestmark = pytest.mark.django_db


def reasons_by_number(response) -> dict[str, dict]:
    page = response.content.decode()
    found = {}
    for row in re.findall(r"<tr>.*?</tr>", page, re.S):
        why = re.search(r'data-why="([^"]*)"', row)
        number = re.search(r'class="mono">([^<]+)<', row)
        if why and number:
            found[number.group(1)] = json.loads(html.unescape(why.group(1)))
    return found


def test_each_row_says_why_each_bulk_action_does_not_apply(client, acme):
    manager = factories.user(Role.MANAGER, acme)
    submitted = order_in_state("submitted", acme)
    held = order_in_state("on_hold", acme)
    delivered = order_in_state("delivered", acme)
    log_in(client, manager)

    why = reasons_by_number(client.get("/orders/"))

    assert "approve" not in why[submitted.number]  # it applies: no reason
    assert why[held.number]["approve"] == ("It is on hold: only Submitted orders can be approved.")
    assert why[delivered.number]["cancel"] == why_not.FINAL_REASONS["delivered"]
    assert "resume" not in why[held.number]
    assert "cancel" not in why[held.number]


def test_a_role_without_the_permission_is_told_who_may(client, acme):
    staff = factories.user(Role.STAFF, acme)
    held = order_in_state("on_hold", acme)

    reason = why_not.action_reason(Order(state=held.state, line_count=1), staff, "resume")

    assert reason == "A Manager must resume it."


def test_the_bar_lists_no_reason_for_an_action_every_row_allows(acme):
    manager = factories.user(Role.MANAGER, acme)

    assert why_not.action_reason(Order(state="submitted", line_count=1), manager, "approve") == ""
