"""Sessions: Django's database sessions, with the per-request read in plain SQL."""

import datetime as dt

import pytest
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.sessions import SessionStore
from tests.factories import log_in

pytestmark = pytest.mark.django_db


def test_a_session_reads_back_what_djangos_store_wrote():
    written = db.SessionStore()
    written["cart"] = {"items": [1, 2], "note": "<b>é</b>"}
    written.save()

    read = SessionStore(written.session_key)

    assert read.load() == db.SessionStore(written.session_key).load()
    assert read["cart"] == {"items": [1, 2], "note": "<b>é</b>"}


def test_an_unknown_key_loads_an_empty_session_and_is_forgotten():
    store = SessionStore("no-such-session-key-000000000000")

    assert store.load() == {}
    assert store.session_key is None


def test_an_expired_session_logs_the_user_out(client, staff):
    log_in(client, staff)
    assert client.get("/orders/").status_code == 200

    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))

    response = client.get("/orders/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
