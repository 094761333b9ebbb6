import importlib

import pytest
from django.db import connection, transaction

from accounts.models import Role
from tests import factories

# Shared assertion helpers live outside test modules: have pytest explain their failures too.
pytest.register_assert_rewrite("tests.orders.workflow_spec")


@pytest.fixture
def acme(db):
    return factories.CompanyFactory(name="Acme Corp", slug="acme", currency="EUR")


@pytest.fixture
def globex(db):
    return factories.CompanyFactory(name="Globex", slug="globex", currency="USD")


@pytest.fixture
def staff(acme):
    return factories.user(Role.STAFF, acme)


@pytest.fixture
def manager(acme):
    return factories.user(Role.MANAGER, acme)


@pytest.fixture
def auditor(acme):
    return factories.user(Role.AUDITOR, acme)


@pytest.fixture
def ops(acme):
    return factories.user(Role.OPS, acme)


@pytest.fixture
def globex_staff(globex):
    return factories.user(Role.STAFF, globex)


@pytest.fixture
def globex_manager(globex):
    return factories.user(Role.MANAGER, globex)


_TRIGGERS = importlib.import_module("events.migrations.0002_append_only_triggers")


@pytest.fixture
def committed_db(transactional_db):
    """For tests whose writes must really commit (threads, processes, ATTACH).

    The test runner's closing flush empties tables with DELETE, which the event log's
    append-only trigger refuses: empty the log first, with the triggers dropped and restored in
    one transaction, so the flush finds nothing there. (The role groups come back after the
    flush by themselves: `orders.permissions.grant_role_permissions` runs on post_migrate.)
    """
    yield
    connection.close()  # a fresh connection, whatever state the test left its own in
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in _TRIGGERS.SQLITE_DOWN:
            cursor.execute(sql)
        cursor.execute("DELETE FROM events_event")
        for sql in _TRIGGERS.SQLITE_UP:
            cursor.execute(sql)
