"""Fixtures of the projection tests.

Rebuild and verify ATTACH a scratch SQLite file, which SQLite refuses inside a transaction, so
those tests run on a transactional test database (`rebuildable_db`). Django's transactional test
case needs three things this project does not give it out of the box:

- its closing flush deletes every row, but the event log's append-only trigger refuses DELETE:
  `rebuildable_db` empties the log itself first (dropping and restoring the trigger inside one
  transaction), so the flush finds nothing there and the trigger never fires;
- it refuses connections to database aliases the test did not declare, and the engine's scratch
  alias exists only while a rebuild or verify runs: `rebuildable_db` lets that one alias through;
- the flush also removes the role groups made by a data migration: `role_groups` restores them.
"""

import contextlib
import importlib
import os

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from projections import engine

_ROLE_GRANTS = importlib.import_module("orders.migrations.0002_role_permissions").GRANTS


@pytest.fixture(autouse=True)
def role_groups(db):
    """The role groups with their permissions, as the migrations create them."""
    for name, codenames in _ROLE_GRANTS.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            group.permissions.set(
                Permission.objects.filter(content_type__app_label="orders", codename__in=codenames)
            )


@pytest.fixture
def rebuildable_db(transactional_db, django_db_blocker):
    """A transactional test database on which rebuild/verify may open their scratch database."""
    guarded = BaseDatabaseWrapper.ensure_connection

    def ensure_connection(self, *args, **kwargs):
        if self.alias == engine.SCRATCH_ALIAS:
            with django_db_blocker.unblock():  # the real method, without the test's alias guard
                return BaseDatabaseWrapper.ensure_connection(self, *args, **kwargs)
        return guarded(self, *args, **kwargs)

    # Its own MonkeyPatch, so that a test's `monkeypatch.undo()` leaves this one in place.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "ensure_connection", ensure_connection)
        yield
    connection.close()  # a fresh connection, whatever state the test left its own in
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
            ["events_event_no_delete"],
        )
        (trigger_sql,) = cursor.fetchone()
        cursor.execute("DROP TRIGGER events_event_no_delete")
        cursor.execute("DELETE FROM events_event")
        cursor.execute(trigger_sql)


class ScratchFiles:
    """The scratch databases the engine created during a test (and their journals)."""

    def __init__(self):
        self.created: list[str] = []

    def left_behind(self) -> list[str]:
        suffixes = ("", "-journal", "-wal", "-shm")
        return [p + s for p in self.created for s in suffixes if os.path.exists(p + s)]


@pytest.fixture
def scratch_files():
    """Records the path of every scratch database, to check none is left behind.

    Scanning the folder instead would see the scratch files of other test runs sharing it.
    """
    files = ScratchFiles()
    scratch_database = engine.scratch_database

    @contextlib.contextmanager
    def recorded(*args, **kwargs):
        with scratch_database(*args, **kwargs) as path:
            files.created.append(path)
            yield path

    with pytest.MonkeyPatch.context() as patch:  # immune to the test's `monkeypatch.undo()`
        patch.setattr(engine, "scratch_database", recorded)
        yield files
