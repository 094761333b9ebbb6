import importlib
import os
import shutil

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
_CHECK_TRIGGERS = importlib.import_module(
    "events.migrations.0006_integritycheck_append_only_witnessed"
)


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
        for sql in _TRIGGERS.SQLITE_DOWN + _CHECK_TRIGGERS.SQLITE_DOWN:
            cursor.execute(sql)
        cursor.execute("DELETE FROM events_event")
        cursor.execute("DELETE FROM events_integritycheck")
        for sql in _TRIGGERS.SQLITE_UP + _CHECK_TRIGGERS.SQLITE_UP:
            cursor.execute(sql)


@pytest.fixture(autouse=True)
def witness_dir(settings, tmp_path_factory):
    """Each test witnesses into its own folder (WITNESS_DIR): checkpoints of one test's log
    must not meet another test's log."""
    folder = tmp_path_factory.mktemp("witness")
    settings.WITNESS_DIR = str(folder)
    return folder


@pytest.fixture(scope="session", autouse=True)
def _remove_witness_folder(django_db_setup, django_db_blocker):
    """The witness folder `migrate` made beside the test database (tests use `witness_dir`)."""
    yield
    name = str(connection.settings_dict.get("NAME") or "")
    shutil.rmtree(os.path.splitext(name)[0] + ".witness", ignore_errors=True)
