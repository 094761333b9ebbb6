"""Sessions: Django's database session engine, with the user's id in a column."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.commands import deactivate_user
from accounts.models import Role, UserSession
from events.models import Event
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

# Django's own session table, and ours (the user's id beside the session).
SESSION_TABLES = re.compile(r"\b(django_session|accounts_user_session)\b")


def test_an_expired_session_logs_the_user_out(client, staff):
    log_in(client, staff)
    assert client.get("/orders/").status_code == 200

    UserSession.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))

    response = client.get("/orders/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_logging_out_deletes_the_session(client, staff):
    log_in(client, staff)
    key = client.session.session_key
    assert UserSession.objects.filter(session_key=key).exists()

    client.post("/accounts/logout/")

    assert not UserSession.objects.filter(session_key=key).exists()
    assert client.get("/orders/").status_code == 302


def test_a_session_knows_its_user_from_login_to_logout(client, staff):
    log_in(client, staff)
    key = client.session.session_key
    assert UserSession.objects.get(session_key=key).user_id == staff.pk

    client.post("/accounts/logout/")

    assert not UserSession.objects.filter(user_id=staff.pk).exists()


def test_deactivating_signs_out_every_browser_of_the_user_and_reads_no_one_elses(
    manager, staff, globex
):
    """Deactivation ends exactly the user's sessions, found by the user's id: the work does not
    grow with other people's sessions (it used to decode every live session of every company)."""
    browsers = [Client(), Client()]
    for browser in browsers:
        log_in(browser, staff)
    others = [factories.user(Role.STAFF, globex), factories.user(Role.MANAGER, globex)]
    for other in others * 10:
        log_in(Client(), other)

    with CaptureQueriesContext(connection) as queries:
        deactivate_user(actor=manager, user_id=staff.pk)

    on_sessions = [q["sql"] for q in queries if SESSION_TABLES.search(q["sql"])]
    assert on_sessions
    # (A UUID is written as hex on SQLite, with dashes on PostgreSQL.)
    assert all(
        '"user_id" = ' in sql and (staff.pk.hex in sql or str(staff.pk) in sql)
        for sql in on_sessions
    ), on_sessions
    assert [b.get("/orders/").status_code for b in browsers] == [302, 302]  # to the login page
    assert UserSession.objects.filter(user_id__in=[o.pk for o in others]).count() == 20
    deactivated = Event.objects.get(stream_id=staff.pk, event_type="UserDeactivated")
    assert deactivated.payload["sessions_ended"] == 2
