"""The audit page's permission lives in the audit app (`audit.view_audit_log`); the migration
that moved it from `orders` keeps what every group and user was granted."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Role
from tests import factories

BEFORE = [("audit", "0001_initial"), ("orders", "0004_ops_desk_permission")]
AFTER = [
    ("audit", "0002_move_view_audit_log_permission"),
    ("orders", "0005_audit_permission_moved"),
]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    """Going back to BEFORE also unapplies every later migration that depends on it (other
    apps' included); leave the database at the project's latest schema for the next tests."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def holders(app_label: str) -> tuple[set[str], set[str]]:
    """(group names, usernames) holding `app_label.view_audit_log` directly."""
    permission = Permission.objects.filter(
        content_type__app_label=app_label, codename="view_audit_log"
    ).first()
    if permission is None:
        return set(), set()
    return (
        set(permission.group_set.values_list("name", flat=True)),
        set(permission.user_set.values_list("username", flat=True)),
    )


@pytest.mark.django_db(transaction=True)
def test_every_group_and_user_granted_the_old_permission_holds_the_new_one():
    migrate(BEFORE)
    old = Permission.objects.get(content_type__app_label="orders", codename="view_audit_log")
    clerks = Group.objects.create(name="Clerks")
    clerks.permissions.add(old)
    Group.objects.get(name=Role.AUDITOR.value).permissions.remove(old)  # an admin took it away
    user = factories.UserFactory(username="acme.reader", company=factories.CompanyFactory())
    user.user_permissions.add(old)
    assert holders("audit") == (set(), set())

    migrate(AFTER)

    assert holders("audit") == ({"Manager", "Ops", "Clerks"}, {"acme.reader"})
    assert holders("orders") == (set(), set())  # the old permission is gone


@pytest.mark.django_db
def test_the_audit_page_asks_for_the_audit_apps_permission(client, acme):
    reader = factories.UserFactory(username="acme.reader", company=acme)
    factories.log_in(client, reader)
    assert client.get("/audit/").status_code == 403

    reader.user_permissions.add(
        Permission.objects.get(content_type__app_label="audit", codename="view_audit_log")
    )

    assert client.get("/audit/").status_code == 200
