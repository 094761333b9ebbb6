import contextlib
import datetime as dt

import pytest

from accounts.models import Role
from notifications.subscriber import Notifier
from outbox import engine
from tests import factories
from tests.outbox.smtp import Inbox
from tests.outbox.subscribers import Clock


def with_email(user):
    user.email = f"{user.username}@example.com"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def clock(settings):
    """06:00 tomorrow in TIME_ZONE: before the digest hour (7), after what the test writes now."""
    settings.TIME_ZONE = "UTC"
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    return Clock(tomorrow.replace(hour=6, minute=0, second=0, microsecond=0))


@pytest.fixture
def team(acme):
    """Acme's people with addresses: two who place orders, two managers, an auditor."""
    return {
        "staff": with_email(factories.user(Role.STAFF, acme)),
        "staff2": with_email(factories.user(Role.STAFF, acme, username="acme.staff2")),
        "manager": with_email(factories.user(Role.MANAGER, acme)),
        "manager2": with_email(factories.user(Role.MANAGER, acme, username="acme.manager2")),
        "auditor": with_email(factories.user(Role.AUDITOR, acme)),
    }


class Run:
    """Runs the notifier for companies like the worker does, on the injected clock."""

    def __init__(self, clock, companies):
        self.notifier, self.clock, self.companies = Notifier(), clock, companies
        self()  # the subscription starts at the head: what happens from now on is notified

    def __call__(self, rounds: int = 2):
        for _ in range(rounds):
            for company in self.companies:
                engine.run_company(self.notifier, company.pk, now=self.clock)


@pytest.fixture
def notify(acme, globex, team, clock):
    return Run(clock, [acme, globex])


@pytest.fixture
def inbox():
    server = Inbox()
    server.start()
    yield server
    with contextlib.suppress(Exception):
        server.stop()
