import collections
import contextlib
import datetime as dt
import os
import signal
import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from outbox import engine

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


class Inbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that counts mails per X-Ledgerline-Event.

    `kill_on` = (n, pid): on the n-th mail, SIGKILL the process `pid` before answering, and do
    not keep the mail (the sender never heard it was accepted). `stop()`/`start()` take the
    server down and bring it back on the same port."""

    def __init__(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.messages: list = []
        self.kill_on: tuple[int, int] | None = None
        self.seen = 0
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.kill_on and self.seen == self.kill_on[0]:
            os.kill(self.kill_on[1], signal.SIGKILL)
            return "451 Requested action aborted"
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.original_content)))
        return "250 Message accepted for delivery"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def count_by(self, header="X-Ledgerline-Event") -> collections.Counter:
        return collections.Counter(message[header] for _, message in list(self.messages))

    def env(self) -> dict[str, str]:
        """What a worker process needs in its environment to send here."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "False",
            "EMAIL_TIMEOUT_SECONDS": "5",
        }


@pytest.fixture
def inbox():
    server = Inbox()
    server.start()
    yield server
    with contextlib.suppress(Exception):
        server.stop()
