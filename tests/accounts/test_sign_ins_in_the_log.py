"""Sign-ins, failed sign-ins and lockouts of a company's users are in the company's event log
(issue #32), with no secret in them; a burst of failures is one entry with a count
(accounts/sign_ins.py: the window is the throttle's cool-off, 15 minutes); the audit page
filters them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from accounts import sign_ins
from accounts.models import Role
from accounts.tokens import password_link_tokens
from events.models import Event
from outbox import engine
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = "not-the-password-1"
ADDRESS = "203.0.113.9"
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff(acme):
    return factories.user(Role.STAFF, acme)


def attempt(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def sign_in_events(company) -> list[Event]:
    return list(Event.objects.filter(company=company, stream_type="sign_in").order_by("position"))


def test_a_sign_in_through_the_login_page_is_in_the_companys_log(acme, staff):
    response = attempt(Client(REMOTE_ADDR=ADDRESS), staff.username, factories.PASSWORD)

    assert response.status_code == 302
    [event] = sign_in_events(acme)
    assert event.event_type == "UserSignedIn"
    assert event.payload == {"username": staff.username, "method": "password"}
    assert event.metadata["actor_username"] == staff.username
    assert event.stream_id == sign_ins.sign_in_stream_id(staff.pk)


def test_a_burst_of_failures_is_one_entry_with_its_count_written_at_the_next_sign_in(acme, staff):
    client = Client(REMOTE_ADDR=ADDRESS)
    for _ in range(3):
        assert attempt(client, staff.username, WRONG).status_code == 200

    assert sign_in_events(acme) == []  # the burst is still open
    attempt(client, staff.username, factories.PASSWORD)

    failed, signed_in = sign_in_events(acme)
    assert (failed.event_type, signed_in.event_type) == ("UserSignInsFailed", "UserSignedIn")
    assert failed.payload["failures"] == 3
    assert failed.payload["username"] == staff.username
    assert failed.metadata["actor_username"] == "system"
    assert failed.occurred_at <= failed.recorded_at
    everything = json.dumps([failed.payload, failed.metadata, signed_in.payload])
    assert WRONG not in everything and factories.PASSWORD not in everything
    assert ADDRESS not in everything


def test_a_failure_after_the_window_starts_a_new_burst_and_records_the_old_one(acme, staff):
    assert sign_ins.burst_window() == dt.timedelta(minutes=15)
    for minute in (0, 5, 14):
        sign_ins.record_failure(username=staff.username, now=T0 + dt.timedelta(minutes=minute))

    sign_ins.record_failure(username=staff.username, now=T0 + dt.timedelta(minutes=15))

    [first] = sign_in_events(acme)
    assert first.payload["failures"] == 3
    assert first.occurred_at == T0
    assert first.payload["last_at"] == (T0 + dt.timedelta(minutes=14)).isoformat()
    assert staff.sign_in_burst.failures == 1


def test_the_worker_records_a_burst_once_its_window_has_passed(acme, staff):
    closer = engine.subscriber("sign_in_bursts")
    sign_ins.record_failure(username=staff.username, now=T0)
    sign_ins.record_failure(username=staff.username, now=T0 + dt.timedelta(minutes=1))

    engine.run_company(closer, acme.pk, now=lambda: T0 + dt.timedelta(minutes=14))
    assert sign_in_events(acme) == []
    engine.run_company(closer, acme.pk, now=lambda: T0 + dt.timedelta(minutes=15))
    engine.run_company(closer, acme.pk, now=lambda: T0 + dt.timedelta(minutes=16))

    [burst] = sign_in_events(acme)
    assert burst.event_type == "UserSignInsFailed" and burst.payload["failures"] == 2


def test_a_lockout_is_one_entry_however_often_the_locked_door_is_tried(acme, staff):
    client = Client(REMOTE_ADDR=ADDRESS)
    responses = [attempt(client, staff.username, WRONG) for _ in range(8)]

    assert [r.status_code for r in responses] == [200] * 4 + [429] * 4
    [locked] = [e for e in sign_in_events(acme) if e.event_type == "UserLockedOut"]
    assert locked.payload == {"username": staff.username, "scope": "user", "minutes": 15}
    assert staff.sign_in_burst.failures == 8  # the refused tries count in the burst


def test_failures_with_a_username_nobody_has_are_in_no_log(acme):
    attempt(Client(REMOTE_ADDR=ADDRESS), "acme.nobody", WRONG)

    assert not Event.objects.filter(stream_type="sign_in").exists()


def test_failed_sign_ins_do_not_void_a_pending_set_password_link(acme, staff):
    token = password_link_tokens.make_token(staff)

    for _ in range(3):
        attempt(Client(REMOTE_ADDR=ADDRESS), staff.username, WRONG)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    sign_ins.close_due_bursts(company_id=acme.pk, now=later)

    assert sign_in_events(acme)[0].payload["failures"] == 3
    assert password_link_tokens.check_token(staff, token)


def test_the_audit_page_filters_sign_ins_and_finds_a_users_failures(client, acme, staff):
    auditor = factories.user(Role.AUDITOR, acme)
    factories.place(staff)
    sign_ins.record_failure(username=staff.username, now=T0)
    sign_ins.close_due_bursts(company_id=acme.pk, now=T0 + dt.timedelta(hours=1))
    log_in(client, auditor)

    page = table(client.get("/audit/", {"area": "sign_ins"}))
    mine = table(client.get("/audit/", {"area": "sign_ins", "actor": "acme.staff"}))
    others = table(client.get("/audit/", {"area": "sign_ins", "actor": "acme.manager"}))
    orders = table(client.get("/audit/", {"area": "orders"}))

    assert "Failed sign-ins" in page and "Placed" not in page
    assert "Failed sign-ins" in mine and "Failed sign-ins" not in others
    assert "Failed sign-ins" not in orders and "Placed" in orders
    assert 'name="area"' in client.get("/audit/").content.decode()


def table(response) -> str:
    html = response.content.decode()
    return html[html.index('id="audit-table"') :]
