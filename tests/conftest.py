import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import TransactionTestCase
from django.utils import translation

from accounts.models import Role
from tests import factories, vendor

# Shared assertion helpers live outside test modules: have pytest explain their failures too.
pytest.register_assert_rewrite("tests.orders.workflow_spec")

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def pytest_configure(config):
    """Compile the translations whose .po is newer than its .mo (`make setup` does the same), so
    a plain `pytest` after `make messages` or a merge tests the German as it is written. Once, in
    the controlling process: xdist's workers find the files made."""
    if hasattr(config, "workerinput"):
        return
    for po in LOCALE.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            if shutil.which("msgfmt") is None:
                raise pytest.UsageError(
                    "GNU gettext's msgfmt is needed to compile the translations: "
                    "`make setup-dev` installs it (or apt-get install gettext)."
                )
            # What `manage.py compilemessages` runs for each file.
            subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)


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


@pytest.fixture
def committed_db(transactional_db):
    """For tests whose writes must really commit (threads, processes, a scratch database).

    Afterwards the test runner empties the tables (`_flush_past_the_append_only_triggers`);
    the test's own connection is closed first, whatever state the test left it in.
    """
    yield
    connection.close()


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_append_only_triggers():
    """Let Django empty the database after each transactional test.

    Its flush (DELETE on SQLite, TRUNCATE on PostgreSQL) is exactly what the append-only
    triggers (the event log, the verification records) refuse: they are dropped for the flush and
    installed again after it. (The role groups come back after the flush by themselves:
    `orders.permissions.grant_role_permissions` runs on post_migrate.)
    """
    flush = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        names = list(self._databases_names(include_mirrors=False))
        for name in names:
            vendor.drop_append_only_triggers(name)
        try:
            flush(self)
        finally:
            for name in names:
                vendor.create_append_only_triggers(name)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", _fixture_teardown)
        yield


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a request through the locale middleware leaves
    its language active in the thread (as Django's own LocaleMiddleware does), and a later test
    on the same worker that calls a command directly would read German refusals."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


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
