"""/healthz tells a load balancer the truth: 503 with the reason when nothing can be saved."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings

from common.health import PROBE_TABLE
from tests.vendor import ON_POSTGRES, sqlite_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_only_database():
    """The database refuses every write, as a read-only file or directory (SQLite's query_only:
    the same SQLITE_READONLY error; root ignores file permissions) or a read-only PostgreSQL
    server (a hot standby, `default_transaction_read_only`) makes it."""
    on, off = (
        ("SET default_transaction_read_only = on", "SET default_transaction_read_only = off")
        if ON_POSTGRES
        else ("PRAGMA query_only = ON", "PRAGMA query_only = OFF")
    )
    with connection.cursor() as cursor:
        cursor.execute(on)
    yield
    with connection.cursor() as cursor:
        cursor.execute(off)


def test_healthz_is_ok_when_the_database_takes_a_write(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_the_write_probe_leaves_nothing_behind(client):
    client.get("/healthz")

    assert PROBE_TABLE not in connection.introspection.table_names()


@pytest.mark.django_db(transaction=True)  # PostgreSQL applies the setting to new transactions
def test_healthz_is_503_with_the_reason_when_the_database_is_read_only(client, read_only_database):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert "cannot take a write" in body["database"]
    assert "readonly" in body["database"] or "read-only" in body["database"]


@sqlite_only("the free-space check is for the disk holding the SQLite file")
def test_healthz_is_503_when_the_disk_is_nearly_full(client):
    with override_settings(HEALTHZ_MIN_FREE_MB=10**12):  # more than any disk has free
        response = client.get("/healthz")

    assert response.status_code == 503
    assert "MB free" in response.json()["database"]


def test_head_works_for_monitors(client):
    response = client.head("/healthz")

    assert response.status_code == 200
    assert response.content == b""


def test_a_local_monitor_over_plain_http_is_not_redirected_to_https(client):
    with override_settings(SECURE_SSL_REDIRECT=True):
        health = client.get("/healthz")
        login = client.get("/accounts/login/")

    assert health.status_code == 200
    assert login.status_code == 301  # the redirect is on; /healthz alone is exempt


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_answers_405_to_anything_but_get_and_head(method):
    """Health changes nothing, so CSRF has nothing to protect: a POST is a wrong method (405),
    not a forged form (403)."""
    from django.test import Client

    response = getattr(Client(enforce_csrf_checks=True), method)("/healthz")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
