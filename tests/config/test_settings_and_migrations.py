"""Settings and migrations: deploy checks, clear failures, clean and linear migrations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

from tests.vendor import sqlite_only

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_with_prod_settings_prints_no_warnings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "SECRET_KEY": "x" * 20 + "-a-long-random-test-secret-key-for-check-deploy-0123456789",
            "EVENT_LOG_KEY": "a-test-event-log-key",
            "ALLOWED_HOSTS": "orders.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_prod_settings_without_secret_key_fail_with_a_clear_message(tmp_path):
    result = _manage(
        "check",
        env_overrides={
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "SECRET_KEY": "",
            "ALLOWED_HOSTS": "orders.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert result.returncode != 0
    assert "Production settings need SECRET_KEY" in result.stderr


@pytest.mark.parametrize("value", ["abc", "0", "-2", "", "2.5"])
def test_a_rebuild_processes_setting_that_is_no_count_fails_with_a_message_naming_it(
    tmp_path, value
):
    """Not a bare ValueError from int() (garbage), nor a quiet 1 (zero or less)."""
    result = _manage(
        "check",
        env_overrides={
            "REBUILD_PROCESSES": value,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert result.returncode != 0
    assert "REBUILD_PROCESSES must be a whole number, at least 1" in result.stderr


def test_the_settings_load_where_the_os_cannot_say_which_cpus_a_process_may_use():
    """macOS has no os.sched_getaffinity: the settings (REBUILD_PROCESSES' default) count the
    CPUs another way instead of failing to import."""
    code = (
        "import os; del os.sched_getaffinity; "
        "import config.settings.base as settings; print(settings.REBUILD_PROCESSES)"
    )
    env = {k: v for k, v in os.environ.items() if k != "REBUILD_PROCESSES"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert 1 <= int(result.stdout) <= 4


@pytest.mark.django_db
def test_makemigrations_check_is_clean():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_migration_history_is_linear_with_one_leaf_per_app():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    ours = {"accounts", "audit", "events", "orders", "projections"}
    for app in ours:
        leaves = [key for key in loader.graph.leaf_nodes() if key[0] == app]
        assert len(leaves) == 1, f"{app} has {len(leaves)} leaf migrations"
        for key, migration in loader.disk_migrations.items():
            if key[0] == app:
                same_app_parents = [d for d in migration.dependencies if d[0] == app]
                assert len(same_app_parents) <= 1, f"{key} is a merge migration"


@sqlite_only("the PRAGMAs and transaction mode of SQLite connections")
def test_sqlite_is_tuned_for_a_server():
    from django.db import connection

    options = connection.settings_dict["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout"):
        assert pragma in options["init_command"]


def test_postgresql_connections_are_health_checked_and_time_out():
    """After a PostgreSQL restart, a kept connection is checked before reuse instead of failing
    the next request with a 500; connecting and statements (lock waits included) are bounded."""
    from config.settings.base import database_from_url

    db = database_from_url("postgres://ledgerline:secret@db.example.com:5432/ledgerline")

    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["CONN_HEALTH_CHECKS"] is True
    assert db["CONN_MAX_AGE"] > 0
    assert db["OPTIONS"]["connect_timeout"] > 0
    assert "-c statement_timeout=" in db["OPTIONS"]["options"]
