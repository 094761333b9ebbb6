"""Login throttling (django-axes 8.3.1): 5 failures lock a username from one address for 15 min.

How axes answers, read from the installed version rather than assumed:
- AXES_HTTP_RESPONSE_CODE defaults to 429 (Too Many Requests); we do not override it.
- The lock takes effect on the attempt that reaches AXES_FAILURE_LIMIT: the 5th failure is
  already answered with the lockout page, and so is every attempt after it, right password or not.
- The client address is REMOTE_ADDR only: django-ipware is not installed, so axes falls back to
  REMOTE_ADDR (AXES_IPWARE_PROXY_COUNT is then unused). In production waitress sets REMOTE_ADDR
  from nginx's X-Forwarded-For (--trusted-proxy); a client's own X-Forwarded-For counts for nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from accounts.models import Role
from tests import factories

LOGIN = "/accounts/login/"
ADDRESS = "203.0.113.5"
OTHER_ADDRESS = "198.51.100.7"
WRONG = "not-the-password-1"
LOCKED = "Account temporarily locked"
BAD_CREDENTIALS = "Please enter a correct username and password"


@pytest.fixture
def user(acme):
    return factories.user(Role.STAFF, acme)


def attempt(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail(client: Client, username: str, times: int) -> None:
    """`times` failed logins that are not yet locked out (each shows the form's error)."""
    for _ in range(times):
        response = attempt(client, username, WRONG)
        assert response.status_code == 200
        assert BAD_CREDENTIALS in response.content.decode()


def lock(client: Client, username: str):
    """Four failures, then the fifth: the one that locks. Returns the fifth response."""
    fail(client, username, 4)
    return attempt(client, username, WRONG)


def assert_lockout_page(response) -> None:
    assert response.status_code == 429
    body = response.content.decode()
    assert LOCKED in body
    assert "Too many failed login attempts for this user from your address." in body
    assert "Try again in 15 min" in body


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_four_failures_only_show_the_form_error_and_the_fifth_locks_with_429(user):
    client = Client(REMOTE_ADDR=ADDRESS)

    fail(client, user.username, 4)
    fifth = attempt(client, user.username, WRONG)

    assert_lockout_page(fifth)


@pytest.mark.django_db
def test_after_five_failures_even_the_right_password_gets_the_lockout_page(user):
    client = Client(REMOTE_ADDR=ADDRESS)
    lock(client, user.username)

    response = attempt(client, user.username, factories.PASSWORD)

    assert_lockout_page(response)
    assert not is_logged_in(client)
    assert client.get("/orders/").status_code == 302  # still anonymous: back to the login page


@pytest.mark.django_db
def test_the_same_username_from_another_address_is_not_locked(user):
    lock(Client(REMOTE_ADDR=ADDRESS), user.username)
    elsewhere = Client(REMOTE_ADDR=OTHER_ADDRESS)

    response = attempt(elsewhere, user.username, factories.PASSWORD)

    assert (response.status_code, response["Location"]) == (302, "/")
    assert is_logged_in(elsewhere)


@pytest.mark.django_db
def test_another_username_from_the_locked_address_is_not_locked(acme, user):
    other = factories.user(Role.MANAGER, acme)
    lock(Client(REMOTE_ADDR=ADDRESS), user.username)
    same_address = Client(REMOTE_ADDR=ADDRESS)

    response = attempt(same_address, other.username, factories.PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(same_address)


@pytest.mark.django_db
def test_a_client_supplied_x_forwarded_for_neither_spreads_nor_escapes_the_count(user):
    # An attacker rotating X-Forwarded-For must not get a fresh allowance per forged address.
    client = Client(REMOTE_ADDR=ADDRESS)
    for number in range(4):
        response = attempt(client, user.username, WRONG, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
        assert response.status_code == 200

    fifth = attempt(client, user.username, WRONG, HTTP_X_FORWARDED_FOR="192.0.2.200")
    right = attempt(client, user.username, factories.PASSWORD, HTTP_X_FORWARDED_FOR=OTHER_ADDRESS)

    assert_lockout_page(fifth)
    assert_lockout_page(right)
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ADDRESS]


@pytest.mark.django_db
def test_failures_are_recorded_without_the_password_and_logged_by_axes(user, caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        lock(Client(REMOTE_ADDR=ADDRESS), user.username)

    row = AccessAttempt.objects.get()
    assert (row.username, row.ip_address, row.failures_since_start) == (
        user.username,
        ADDRESS,
        5,
    )
    assert WRONG not in row.post_data
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("axes")]
    failures = [m for m in warnings if "login failure by" in m]
    lockouts = [m for m in warnings if "Locking out" in m]
    assert (len(failures), len(lockouts)) == (5, 1)
    assert not any(WRONG in message for message in warnings)


@pytest.mark.django_db
def test_axes_reset_unlocks_everyone(user):
    client = Client(REMOTE_ADDR=ADDRESS)
    lock(client, user.username)

    call_command("axes_reset", stdout=io.StringIO())
    response = attempt(client, user.username, factories.PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


@pytest.mark.django_db
def test_axes_reset_username_unlocks_only_that_username(acme, user):
    other = factories.user(Role.MANAGER, acme)
    lock(Client(REMOTE_ADDR=ADDRESS), user.username)
    lock(Client(REMOTE_ADDR=ADDRESS), other.username)

    call_command("axes_reset_username", user.username, stdout=io.StringIO())

    assert (
        attempt(Client(REMOTE_ADDR=ADDRESS), user.username, factories.PASSWORD).status_code == 302
    )
    assert_lockout_page(attempt(Client(REMOTE_ADDR=ADDRESS), other.username, factories.PASSWORD))


@pytest.mark.django_db
def test_the_lock_lifts_once_the_last_failure_is_older_than_the_cool_off(user):
    client = Client(REMOTE_ADDR=ADDRESS)
    lock(client, user.username)

    # Age the failures instead of sleeping: axes only counts attempts newer than now - cool-off.
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14))
    assert_lockout_page(attempt(client, user.username, factories.PASSWORD))

    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    response = attempt(client, user.username, factories.PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


@pytest.mark.django_db
def test_a_successful_login_resets_the_failure_count(user):
    client = Client(REMOTE_ADDR=ADDRESS)
    fail(client, user.username, 4)

    assert attempt(client, user.username, factories.PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    client.post("/accounts/logout/")

    fail(client, user.username, 4)  # would have locked at the first of these without the reset
    assert_lockout_page(attempt(client, user.username, WRONG))


@pytest.mark.django_db
def test_the_lockout_page_names_the_configured_cool_off(user, settings):
    settings.AXES_COOLOFF_TIME = 1.0  # hours, as AXES_COOLOFF_MINUTES=60 would configure it

    response = lock(Client(REMOTE_ADDR=ADDRESS), user.username)

    assert response.status_code == 429
    assert "Try again in 1 h 0 min" in response.content.decode()
