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


def _setup_django(
    settings_module: str, *, show: str = "settings.DEBUG", **env_overrides: str
) -> subprocess.CompletedProcess:
    """`django.setup()` in a fresh process, as every `manage.py` command starts; it prints
    `show` (an expression of `settings`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        SECRET_KEY="a-long-random-test-secret-key-for-the-settings-tests-0123456789",
        EVENT_LOG_KEY="a-test-event-log-key",
        ALLOWED_HOSTS="orders.example.com",
    )
    env.update(env_overrides)
    code = f"import django; django.setup(); from django.conf import settings; print({show})"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


WHOLE = "a whole number"
YES_OR_NO = "True or False (or yes/no, on/off, 1/0)"
LISTEN = "host:port with a port from 1 to 65535 (e.g. 127.0.0.1:8000; several separated by spaces)"
RATE = "a number of requests, at least 1, per second, minute, hour or day (e.g. 600/minute)"
# (settings module, setting, a value it cannot use, what it needs).
GARBAGE = [
    ("test", "SQLITE_BUSY_TIMEOUT_MS", "abc", f"{WHOLE} from 1 to 2147483647"),
    ("test", "SQLITE_BUSY_TIMEOUT_MS", "0", f"{WHOLE} from 1 to 2147483647"),
    ("test", "PG_CONNECT_TIMEOUT_SECONDS", "0", f"{WHOLE} from 1 to 300"),
    ("test", "PG_STATEMENT_TIMEOUT_MS", "-1", f"{WHOLE} from 0 to 2147483647 (0: no limit)"),
    ("test", "CONN_MAX_AGE", "ten minutes", f"{WHOLE}, at least 0 (0: a connection per request)"),
    ("test", "SSO_HTTP_TIMEOUT_SECONDS", "0", f"{WHOLE} from 1 to 300"),
    ("test", "SSO_ALLOW_HTTP_ISSUER", "maybe", YES_OR_NO),
    ("test", "SESSION_IDLE_MINUTES", "0", f"{WHOLE} from 1 to 525600"),
    ("test", "SESSION_IDLE_MINUTES", str(10**12), f"{WHOLE} from 1 to 525600"),
    ("test", "AXES_FAILURE_LIMIT", "0", f"{WHOLE}, at least 1"),
    ("test", "AXES_COOLOFF_MINUTES", "abc", f"{WHOLE} from 1 to 525600"),
    ("test", "AXES_PROXY_COUNT", "-1", f"{WHOLE}, at least 0"),
    ("test", "LOGIN_ADDRESS_FAILURE_LIMIT", "ten", f"{WHOLE}, at least 0 (0: off)"),
    ("test", "EMAIL_PORT", "70000", f"{WHOLE} from 1 to 65535"),
    ("test", "EMAIL_USE_TLS", "maybe", YES_OR_NO),
    ("test", "EMAIL_USE_SSL", "2", YES_OR_NO),
    ("test", "EMAIL_TIMEOUT_SECONDS", "0", f"{WHOLE} from 1 to 300"),
    ("test", "PASSWORD_RESET_TIMEOUT_MINUTES", "1.5", f"{WHOLE} from 1 to 525600"),
    (
        "test",
        "WITNESS_TIMEOUT_SECONDS",
        "-1",
        "a number from 0 to 300 (0: written by the committing thread)",
    ),
    (
        "test",
        "WITNESS_TIMEOUT_SECONDS",
        "nan",
        "a number from 0 to 300 (0: written by the committing thread)",
    ),
    ("test", "STUCK_AFTER_DAYS", "abc", f"{WHOLE} from 1 to 3650"),
    ("test", "ORDERS_PER_PAGE", "0", f"{WHOLE} from 1 to 100"),
    ("test", "ORDERS_PER_PAGE", "-5", f"{WHOLE} from 1 to 100"),
    ("test", "ORDERS_PER_PAGE", "1000", f"{WHOLE} from 1 to 100"),
    ("test", "SERVE_THREADS", "0", f"{WHOLE} from 1 to 1000"),
    ("test", "SERVE_THREADS", "100000000", f"{WHOLE} from 1 to 1000"),
    # Waitress bound port 99999 as 34463, 0 as any free port, and said "Invalid host/port
    # specified." of the rest, naming no setting.
    ("test", "SERVE_LISTEN", "127.0.0.1:99999", LISTEN),
    ("test", "SERVE_LISTEN", "127.0.0.1:0", LISTEN),
    ("test", "SERVE_LISTEN", "localhost", LISTEN),
    ("test", "SERVE_LISTEN", "127.0.0.1:8000 garbage", LISTEN),
    ("test", "SERVE_LISTEN", "", LISTEN),
    ("test", "HEALTHZ_MIN_FREE_MB", "abc", f"{WHOLE}, at least 0 (0: no free-space check)"),
    ("test", "WORKER_POLL_SECONDS", "0", "a number more than 0 and at most 3600"),
    ("test", "WORKER_LEASE_SECONDS", "0.5", "a number from 1 to 86400"),
    ("test", "WORKER_SILENT_AFTER_SECONDS", "5", f"{WHOLE} from 10 to 86400"),
    ("test", "NOTIFY_DIGEST_HOUR", "24", f"{WHOLE} from 0 to 23"),
    ("test", "NOTIFY_RETRY_FIRST_SECONDS", "inf", "a number more than 0 and at most 3600"),
    ("test", "NOTIFY_MAX_ATTEMPTS", "0", f"{WHOLE}, at least 1"),
    ("test", "WEBHOOK_ALLOW_HTTP", "maybe", YES_OR_NO),
    ("test", "WEBHOOK_ALLOW_LOOPBACK", "maybe", YES_OR_NO),
    ("test", "WEBHOOK_ALLOW_PRIVATE", "maybe", YES_OR_NO),
    ("test", "WEBHOOK_TIMEOUT_SECONDS", "0", "a number more than 0 and at most 300"),
    ("test", "WEBHOOK_BACKOFF_SECONDS", "86400", "a number more than 0 and at most 3600"),
    ("test", "WEBHOOK_BACKOFF_MAX_MINUTES", "abc", "a number more than 0 and at most 1440"),
    ("test", "WEBHOOK_RETRY_DAYS", "0", "a number more than 0 and at most 365"),
    ("test", "DEBUG", "maybe", YES_OR_NO),
    ("prod", "SECURE_SSL_REDIRECT", "maybe", YES_OR_NO),
    ("prod", "SECURE_HSTS_SECONDS", "-1", f"{WHOLE}, at least 0 (0: no HSTS header)"),
    ("prod", "SESSION_COOKIE_SECURE", "maybe", YES_OR_NO),
    ("prod", "CSRF_COOKIE_SECURE", "maybe", YES_OR_NO),
    ("test", "LOG_LEVEL", "loud", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("test", "API_RATE", "lots", RATE),
    ("test", "API_RATE", "0/minute", RATE),
    ("test", "API_RATE", "600/fortnight", RATE),
    # DRF reads only the period's first letter: "ms" was 10 a minute, "decade" 10 a day.
    ("test", "API_RATE", "10/ms", RATE),
    ("test", "API_RATE", "10/decade", RATE),
]


@pytest.mark.parametrize(
    ("module", "setting", "value", "needs"),
    GARBAGE,
    ids=[f"{module}-{setting}={value}" for module, setting, value, _ in GARBAGE],
)
def test_a_setting_given_a_value_it_cannot_use_stops_start_up_naming_it_and_what_it_needs(
    module, setting, value, needs
):
    """Not a bare ValueError from int()/float()/bool casting (naming neither the setting nor
    what it needs), nor a quiet 0, negative, endless or overflowing value."""
    result = _setup_django(f"config.settings.{module}", **{setting: value})

    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        f"django.core.exceptions.ImproperlyConfigured: {setting} must be {needs}; it is {value!r}."
    )


def test_the_documented_values_and_their_special_meanings_load():
    """.env.example's values load, and so do the zeros the documentation gives a meaning (no
    statement limit for a long migration, no address-wide lock, a direct checkpoint write)."""
    example = (ROOT / ".env.example").read_text().splitlines()
    documented = dict(
        line.split("=", 1) for line in example if "=" in line and not line.startswith("#")
    )
    documented.pop("SECRET_KEY")
    zeros = {
        "PG_STATEMENT_TIMEOUT_MS": "0",
        "LOGIN_ADDRESS_FAILURE_LIMIT": "0",
        "WITNESS_TIMEOUT_SECONDS": "0",
        "HEALTHZ_MIN_FREE_MB": "0",
        "CONN_MAX_AGE": "0",
        "AXES_PROXY_COUNT": "0",
    }
    result = _setup_django("config.settings.dev", **(documented | zeros))

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "address",
    [
        "garbage",
        "",
        "postgres://ledgerline:s3cret@db.example.com:port/ledgerline",
        # Parsed, but failing later naming only a driver (mysqlclient) or the connection, or
        # an in-memory database: a new, empty one per connection.
        "mysql://ledgerline:s3cret@db.example.com/ledgerline",
        "postgres://ledgerline:s3cret@db.example.com",
        "sqlite://",
        "sqlite:///:memory:",
    ],
)
def test_a_database_address_that_is_none_stops_start_up_naming_it_without_its_password(
    address,
):
    result = _setup_django("config.settings.test", DATABASE_URL=address)

    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "django.core.exceptions.ImproperlyConfigured: DATABASE_URL must be a database address"
    )
    assert "s3cret" not in result.stderr


def test_a_log_level_and_an_api_rate_are_read_whatever_their_case():
    """`LOG_LEVEL=info` failed every command in logging's configuration ("Unknown level"), and
    DRF reads only a rate's lower-case first letter of the period."""
    result = _setup_django(
        "config.settings.dev",
        show="settings.LOG_LEVEL, settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['api_key']",
        LOG_LEVEL="info",
        API_RATE="100/Minute",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["INFO", "100/minute"]


@pytest.mark.parametrize(
    ("setting", "value", "read"),
    [
        ("DEBUG", " no ", "False"),  # spaces around a value, as numbers and words take them
        ("EMAIL_USE_SSL", "yes\t", "True"),
        ("LOG_LEVEL", "warn", "'WARNING'"),  # logging's own other names, which worked before
        ("LOG_LEVEL", "FATAL", "'CRITICAL'"),
        ("API_RATE", "10/min", "'10/min'"),
        ("API_RATE", "5/Hours", "'5/hours'"),
        ("ORDERS_PER_PAGE", " 25 ", "25"),
        ("SERVE_LISTEN", "*:8000  [::1]:8001", "'*:8000 [::1]:8001'"),
    ],
)
def test_a_value_written_another_usual_way_is_read_as_meant(setting, value, read):
    result = _setup_django(
        "config.settings.dev", show=f"repr(settings.{setting})", **{setting: value}
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == read


@pytest.mark.parametrize(
    ("module", "setting", "default"),
    [
        ("prod", "SECURE_SSL_REDIRECT", True),
        ("prod", "SESSION_COOKIE_SECURE", True),
        ("prod", "CSRF_COOKIE_SECURE", True),
        ("dev", "DEBUG", True),
        ("test", "WEBHOOK_ALLOW_PRIVATE", False),
    ],
)
def test_a_yes_no_setting_left_empty_is_its_default(module, setting, default):
    """decouple reads an empty value as False: `SECURE_SSL_REDIRECT=` left blank in production
    quietly turned the redirect off."""
    result = _setup_django(
        f"config.settings.{module}", show=f"settings.{setting}", **{setting: " "}
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(default)


@pytest.mark.parametrize(
    ("overrides", "tls", "ssl"),
    [({}, True, False), ({"EMAIL_USE_SSL": "True"}, False, True)],
    ids=["starttls by default", "implicit tls alone"],
)
def test_implicit_tls_alone_turns_starttls_off(overrides, tls, ssl):
    """.env.example says `EMAIL_USE_SSL=True` for implicit TLS: that alone is enough (Django's
    SMTP backend refuses both at every send)."""
    dotenv = ROOT / ".env"
    if dotenv.exists() and "\nEMAIL_USE_TLS=" in f"\n{dotenv.read_text()}":
        pytest.skip(
            ".env (made from an older .env.example) sets EMAIL_USE_TLS; a fresh one does not"
        )
    result = _setup_django(
        "config.settings.test", show="settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL", **overrides
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tls), str(ssl)]


def test_starttls_and_implicit_tls_both_on_stop_start_up_naming_both():
    result = _setup_django("config.settings.test", EMAIL_USE_TLS="True", EMAIL_USE_SSL="True")

    assert result.returncode != 0
    assert "EMAIL_USE_TLS (STARTTLS, usually port 587) and EMAIL_USE_SSL" in result.stderr
    assert "set one of them to False" in result.stderr


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
