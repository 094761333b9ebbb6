"""The role the navigation shows on every page comes with the user's permissions, in the same
statement (issue #25's realistic-load gate on PostgreSQL: a statement is a round trip), and
is read afresh for each request like the permissions: a change shows on the next page."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

ROLE_BADGE = re.compile(r'<span class="badge text-bg-secondary">([^<]*)</span>')


def shown_role(client) -> str:
    response = client.get("/orders/")
    assert response.status_code == 200
    return ROLE_BADGE.search(response.content.decode())[1]


def test_a_page_reads_the_role_with_the_permissions_in_one_statement(client, acme):
    log_in(client, factories.user(Role.STAFF, acme))
    client.get("/orders/")

    with CaptureQueriesContext(connection) as captured:
        assert shown_role(client) == "Staff"

    group_reads = [q["sql"] for q in captured.captured_queries if '"auth_group"' in q["sql"]]
    assert len(group_reads) == 1
    assert '"auth_permission"' in group_reads[0]


def test_a_role_changed_between_two_requests_shows_on_the_next_one(client, acme):
    user = factories.user(Role.STAFF, acme)
    log_in(client, user)
    assert shown_role(client) == "Staff"

    user.groups.set([Group.objects.get(name=Role.MANAGER.value)])

    assert shown_role(client) == "Manager"
    assert 'href="/orders/controls/"' in client.get("/orders/").content.decode()


def test_a_group_without_permissions_is_shown_beside_one_with(client, acme):
    user = factories.user(Role.STAFF, acme)
    user.groups.add(Group.objects.create(name="Night shift"))
    log_in(client, user)

    assert shown_role(client) == "Night shift, Staff"


def test_a_users_own_permission_counts_without_any_group(client, acme):
    user = factories.user(Role.STAFF, acme)
    user.groups.clear()
    user.user_permissions.add(Permission.objects.get(codename="view_order"))
    log_in(client, user)

    response = client.get("/orders/")

    assert response.status_code == 200
    assert not ROLE_BADGE.search(response.content.decode())
