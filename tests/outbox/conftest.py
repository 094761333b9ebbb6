import contextlib
import datetime as dt

import pytest

from outbox import engine

from .smtp import Inbox
from .subscribers import Clock


@pytest.fixture
def clock():
    return Clock(dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC))


@pytest.fixture
def only_subscribers():
    """Run only the given subscribers for the test; the registered ones come back after it."""
    saved = dict(engine._subscribers)
    engine._subscribers.clear()

    def install(*subs):
        for sub in subs:
            engine.register(sub)
        return subs

    yield install
    engine._subscribers.clear()
    engine._subscribers.update(saved)


@pytest.fixture
def inbox():
    server = Inbox()
    server.start()
    yield server
    with contextlib.suppress(Exception):
        server.stop()
