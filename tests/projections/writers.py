"""Other writers, racing the engine: web requests placing orders on their own connections."""

from __future__ import annotations

import contextlib
import threading

from django.db import connection

from projections import engine, rebuild_postgres
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
    if ON_POSTGRES:
        lock_writers, attempts = rebuild_postgres.lock_writers, []

        def lock(using="default"):
            attempts.append(using)
            if len(attempts) == 1:
                place_on_another_connection(actor)
            lock_writers(using)

        monkeypatch.setattr(rebuild_postgres, "lock_writers", lock)
        return attempts

    attached, attempts = engine._attached, []

    @contextlib.contextmanager
    def attach(path, using):
        attempts.append(path)
        if len(attempts) == 1:
            place_on_another_connection(actor)
        with attached(path, using) as attached_connection:
            yield attached_connection

    monkeypatch.setattr(engine, "_attached", attach)
    return attempts
