"""PostgreSQL: the worker's LISTEN connection wakes when an append commits and stays asleep when
it rolls back; the NOTIFY comes from a trigger on the log, so the command sends no statement of
its own for it."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orders import commands
from outbox.postgres import Listener
from tests import factories
from tests.vendor import postgres_only

pytestmark = [postgres_only("LISTEN/NOTIFY"), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def listener():
    opened = Listener()
    opened.wait(0)  # nothing pending before the test's own append
    yield opened
    opened.close()


def test_a_committed_append_wakes_the_listener(listener, staff):
    factories.place(staff)
    assert listener.wait(5)


def test_a_rolled_back_append_does_not(listener, staff):
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        factories.place(staff)
        raise Undo
    assert not listener.wait(0.5)


def test_the_command_sends_no_notify_statement(staff, manager):
    order = factories.place(staff)
    with CaptureQueriesContext(connection) as queries:
        commands.transition(order.id, "submit", actor=staff, expected_version=order.version)
    assert not [q for q in queries if "notify" in q["sql"].lower()]
