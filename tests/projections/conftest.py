"""Fixtures of the projection tests.

Rebuild and verify ATTACH a scratch SQLite file (PostgreSQL: open a second connection to a
scratch schema), which SQLite refuses inside a transaction, so
those tests run on a transactional test database (`rebuildable_db`, built on the shared
`committed_db`, which empties the append-only log before the closing flush). Django's test case
also refuses connections to database aliases the test did not declare, and the engine's scratch
alias exists only while a rebuild or verify runs: `rebuildable_db` lets that one alias through.
"""

import contextlib
import os

import pytest
from django.db.backends.base.base import BaseDatabaseWrapper

from projections import aside_postgres, aside_sqlite, engine
from tests.vendor import ON_POSTGRES


@pytest.fixture
def rebuildable_db(committed_db, django_db_blocker):
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


class ScratchFiles:
    """The scratch databases the engine created during a test: SQLite files (with their
    journals) or PostgreSQL schemas."""

    def __init__(self):
        self.created: list[str] = []

    def left_behind(self) -> list[str]:
        if ON_POSTGRES:
            present = set(aside_postgres.scratch_schemas())
            return [name for name in self.created if name in present]
        suffixes = ("", "-journal", "-wal", "-shm")
        return [p + s for p in self.created for s in suffixes if os.path.exists(p + s)]


@pytest.fixture
def scratch_files():
    """Records the name of every scratch database, to check none is left behind.

    Scanning the folder (or the schemas) instead would see those of other test runs.
    """
    files = ScratchFiles()
    module, name = (aside_postgres, "scratch") if ON_POSTGRES else (aside_sqlite, "scratch")
    scratch_database = getattr(module, name)

    @contextlib.contextmanager
    def recorded(*args, **kwargs):
        with scratch_database(*args, **kwargs) as path:
            files.created.append(path)
            yield path

    with pytest.MonkeyPatch.context() as patch:  # immune to the test's `monkeypatch.undo()`
        patch.setattr(module, name, recorded)
        yield files
