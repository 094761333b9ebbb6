"""Issue #25's realistic-load gate on PostgreSQL: an order's page and the answer to a
transition are a round trip per statement, so nothing the request already holds is read
again. Counted with the statements each request sends (no clock)."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from orders import commands, policy
from orders.events import PolicySettings
from orders.models import Order
from tests import factories
from tests.api.helpers import api_key
from tests.factories import log_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def statements_of(send) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = send()
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def reading(table: str, statements: list[str]) -> list[str]:
    """The ORM's statements reading `table` (named in their FROM, not only in a subquery)."""
    return [s for s in statements if re.search(rf'\bFROM "{table}"', s.split(" WHERE ")[0])]


@pytest.fixture
def submitted(staff, manager):
    """A submitted order of a company with controls recorded: the page says who may approve
    it under them (the policy in force and the company's currency)."""
    commands.change_policy(
        actor=manager,
        expected_version=0,
        settings=PolicySettings(staff_limit=Decimal("10.00"), two_manager_limit=Decimal("50.00")),
    )
    order = factories.advance(factories.place(staff), "submitted", staff=staff, manager=manager)
    commands.add_note(order.id, actor=staff, text="Call first", expected_version=order.version)
    return order


def test_the_detail_page_takes_the_event_numbers_from_the_events_it_reads(client, staff, submitted):
    log_in(client, staff)
    client.get(f"/orders/{submitted.id}/")  # the process's first request fills caches

    statements = statements_of(lambda: client.get(f"/orders/{submitted.id}/"))

    # The order's stream and the company's policy stream; their numbers come with the rows
    # (before: read again by position).
    assert len(reading("events_event", statements)) == 2


def test_the_detail_page_takes_the_currency_from_the_users_company(client, staff, submitted):
    log_in(client, staff)
    client.get(f"/orders/{submitted.id}/")

    statements = statements_of(lambda: client.get(f"/orders/{submitted.id}/"))

    assert reading("accounts_company", statements) == []


def test_the_detail_page_sends_a_bounded_handful_of_statements(client, staff, submitted):
    log_in(client, staff)
    client.get(f"/orders/{submitted.id}/")

    statements = statements_of(lambda: client.get(f"/orders/{submitted.id}/"))

    # session, user with company, permissions with groups (the navigation's role); the order's
    # row; its events and its key; the policy's events; the roles that may approve it. Before:
    # 12 (the company's currency for the policy, the event numbers, the user's groups apart
    # from its permissions, the order's one row read twice: as summary and as FSM state).
    assert len(statements) <= 8


@pytest.mark.parametrize("path", ["/orders/{id}/", "/api/v1/orders/{id}"])
def test_an_orders_page_reads_its_one_row_once(client, staff, submitted, path):
    """The summary and the FSM's state are one row (#25): the page and the API read it once."""
    log_in(client, staff)
    key = {"HTTP_AUTHORIZATION": f"Bearer {api_key(staff.company, Role.STAFF.value)}"}
    url = path.format(id=submitted.id)
    client.get(url, **key)

    statements = statements_of(lambda: client.get(url, **key))

    assert len(reading("projections_ordersummary", statements)) == 1


def test_a_transition_answers_with_the_order_row_the_command_wrote(client, manager, staff):
    order = factories.advance(factories.place(staff), "submitted", staff=staff, manager=manager)
    log_in(client, manager)
    client.get(f"/orders/{order.id}/")
    answers = []

    def approve():
        answers.append(
            client.post(
                f"/orders/{order.id}/transitions/approve/", {"version": order.version}, **HTMX
            )
        )
        return answers[-1]

    statements = statements_of(approve)

    # The command loads the order (its own statement, inside the writer transaction); the
    # answer's panels are drawn from the row it wrote, not read back.
    assert [s for s in statements if s.startswith('SELECT "orders_order"')] == []
    html = answers[0].content.decode()
    assert 'data-state="approved"' in html
    assert re.search(rf'<input[^>]*name="version"[^>]*value="{order.version + 1}"', html)


def test_a_transitions_answer_judges_the_order_by_the_policy_its_command_read(
    client, manager, submitted
):
    log_in(client, manager)
    client.get(f"/orders/{submitted.id}/")
    version = Order.objects.get(pk=submitted.pk).version
    answers = []

    def approve():
        answers.append(
            client.post(
                f"/orders/{submitted.id}/transitions/approve/",
                {"version": version},
                **HTMX,
            )
        )
        return answers[-1]

    statements = statements_of(approve)

    # The command reads the company's policy (who may approve); the answer's panels use it.
    policy_stream = str(policy.policy_stream_id(manager.company_id)).replace("-", "")
    end = max(i for i, s in enumerate(statements) if s.startswith(("RELEASE SAVEPOINT", "COMMIT")))
    reads = reading("events_event", statements[end + 1 :])  # the answer's, after the command
    assert len(reads) == 1  # the order's history
    assert all(policy_stream not in s.replace("-", "") for s in reads)
    assert f"Order {submitted.number} is now approved." in answers[0].content.decode()
