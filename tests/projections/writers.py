"""Other writers, racing the engine: web requests placing orders on their own connections."""

from __future__ import annotations

import contextlib
import threading

from django.db import connection

from projections import aside_postgres, aside_sqlite
from tests import factories
from tests.vendor import ON_POSTGRES


def place_on_another_connection(actor):
    """An order placed by another writer, on its own database connection (another thread)."""
    placed, failed = [], []

    def write():
        try:
            placed.append(factories.place(actor))
        except Exception as error:  # re-raised in the test's thread
            failed.append(error)
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    writer.join()
    if failed:
        raise failed[0]
    return placed[0]


def place_just_before_the_first_attach(monkeypatch, actor) -> list:
    """Have another writer place an order right before the engine's first swap (or compare)
    transaction takes the write lock, after it applied the tail. Returns the attempts.

    SQLite: just before the scratch file is attached. PostgreSQL: just before the swap
    transaction takes the writers' lock."""
    module = aside_postgres if ON_POSTGRES else aside_sqlite
    locked, attempts = module.locked, []

    @contextlib.contextmanager
    def lock(name, using):
        attempts.append(name)
        if len(attempts) == 1:
            place_on_another_connection(actor)
        with locked(name, using) as cursor:
            yield cursor

    monkeypatch.setattr(module, "locked", lock)
    return attempts
