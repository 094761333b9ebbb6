"""The address-wide login limit beside axes' per-username lock (accounts/login_throttle.py).

The issue's example: twelve failed logins from one address with twelve different usernames
locked nothing, so one address could try a password on every account.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt
from django.test import Client

from accounts.models import Role
from tests import factories

from .test_login_throttling import (
    ADDRESS,
    BAD_CREDENTIALS,
    OTHER_ADDRESS,
    WRONG,
    assert_lockout_page,
    attempt,
    is_logged_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(acme):
    return factories.user(Role.STAFF, acme)


def spray(client: Client, count: int, start: int = 0) -> list:
    """`count` failed logins from `client`, each with another (made-up) username."""
    return [attempt(client, f"guess{number}", WRONG) for number in range(start, start + count)]


def test_twelve_usernames_from_one_address_lock_that_address(user, settings):
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 10  # the default in settings and .env.example
    client = Client(REMOTE_ADDR=ADDRESS)

    responses = spray(client, 12)

    assert all(BAD_CREDENTIALS in r.content.decode() for r in responses[:9])
    for response in responses[9:]:  # the tenth failure locks, and every attempt after it
        assert_lockout_page(response)
    right = attempt(client, user.username, factories.PASSWORD)
    assert_lockout_page(right)
    assert not is_logged_in(client)


def test_another_address_is_not_locked_by_the_spraying(user):
    spray(Client(REMOTE_ADDR=ADDRESS), 12)
    elsewhere = Client(REMOTE_ADDR=OTHER_ADDRESS)

    response = attempt(elsewhere, user.username, factories.PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(elsewhere)


def test_the_address_limit_is_configurable_and_can_be_turned_off(user, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 0
    client = Client(REMOTE_ADDR=ADDRESS)

    responses = spray(client, 12)

    assert all(r.status_code == 200 for r in responses)
    assert attempt(client, user.username, factories.PASSWORD).status_code == 302


def test_a_larger_address_limit_is_honoured(user, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 15
    client = Client(REMOTE_ADDR=ADDRESS)

    assert all(r.status_code == 200 for r in spray(client, 14))
    assert_lockout_page(spray(client, 1, start=14)[0])


def test_the_address_lock_lifts_after_the_cool_off(user):
    client = Client(REMOTE_ADDR=ADDRESS)
    spray(client, 10)
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))

    response = attempt(client, user.username, factories.PASSWORD)

    assert response.status_code == 302


def test_axes_log_lines_do_not_copy_the_user_agent_header(user, caplog):
    forged = 'Mozilla" status=200 user="admin'
    client = Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=forged)

    with caplog.at_level(logging.INFO, logger="axes"):
        attempt(client, 'eve"\nforged=1', WRONG)

    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "login failure by" in text
    assert forged not in text
    assert "\nforged=1" not in text
