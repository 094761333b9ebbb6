"""Fixtures of the order tests that must commit for real (threads only see committed rows)."""

import importlib

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction

# Reuse the SQL and grants the migrations hold rather than write them a second time.
_TRIGGERS = importlib.import_module("events.migrations.0002_append_only_triggers")
_GRANTS = importlib.import_module("orders.migrations.0002_role_permissions").GRANTS


@pytest.fixture
def committed_db(transactional_db):
    """A transactional test database that works with this project's migrations.

    - The flush after any earlier transactional test removed the role groups (a data migration
      made them; the flush re-creates only permissions): put them back with their grants.
    - The flush after this test empties tables with DELETE, which the event log's append-only
      trigger refuses: empty the log first, with the trigger dropped and restored in one
      transaction, so the flush finds nothing there.
    """
    for name, codenames in _GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="orders", codename__in=codenames)
        )
    yield
    connection.close()  # a fresh connection, whatever state the test left its own in
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in _TRIGGERS.SQLITE_DOWN:
            cursor.execute(sql)
        cursor.execute("DELETE FROM events_event")
        for sql in _TRIGGERS.SQLITE_UP:
            cursor.execute(sql)
