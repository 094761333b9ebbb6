"""An ended session is a clean trip to the login page (issue #14 item 2)."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import UserSession
from events.models import Event
from tests import factories
from tests.factories import PASSWORD, log_in

pytestmark = pytest.mark.django_db


def htmx_from(page: str) -> dict:
    return {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": f"http://testserver{page}"}


def login_target(location: str) -> tuple[str, str]:
    parts = urlsplit(location)
    return parts.path, parse_qs(parts.query).get("next", [""])[0]


def messages_on_login_page(client) -> str:
    return client.get("/accounts/login/").content.decode()


def test_a_filter_after_logout_sends_the_browser_to_the_login_page_whole(client, staff):
    log_in(client, staff)
    client.post("/accounts/logout/")

    response = client.get("/orders/", {"state": "draft"}, **htmx_from("/orders/?state=draft"))

    assert response.status_code == 200
    assert b"<form" not in response.content  # no login form swapped into the table
    assert login_target(response["HX-Redirect"]) == ("/accounts/login/", "/orders/?state=draft")
    assert "Your session has ended" in messages_on_login_page(client)


def test_an_action_after_the_session_ended_comes_back_to_the_order_page(client, acme, staff):
    order = factories.order_in_state("draft", acme)
    detail = f"/orders/{order.id}/"
    log_in(client, staff)
    client.session.flush()
    UserSession.objects.all().delete()  # the session expired on the server

    response = client.post(
        f"{detail}transitions/cancel/",
        {"version": order.version, "reason": "Customer withdrew"},
        **htmx_from(detail),
    )

    assert login_target(response["HX-Redirect"]) == ("/accounts/login/", detail)
    assert "was not saved" in messages_on_login_page(client)
    assert Event.objects.filter(stream_id=order.id).count() == order.version


def test_a_plain_post_after_the_session_ended_logs_in_to_the_order_page(client, acme, staff):
    order = factories.order_in_state("draft", acme)
    action = f"/orders/{order.id}/transitions/cancel/"

    response = client.post(action, {"version": order.version, "reason": "x"})
    path, next_url = login_target(response["Location"])
    login_page = client.get(response["Location"]).content.decode()
    logged_in = client.post(
        path, {"username": staff.username, "password": PASSWORD, "next": next_url}
    )

    assert response.status_code == 302 and next_url == action
    assert f'name="next" value="/orders/{order.id}/"' in login_page
    assert logged_in.status_code == 302
    assert logged_in["Location"] == f"/orders/{order.id}/"  # not the POST-only URL (405)


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/orders/{id}/notes/", "/orders/{id}/"),
        ("/orders/{id}/transitions/approve/", "/orders/{id}/"),
        (
            "/orders/{id}/history/?as_of=2026-01-01T00:00",
            "/orders/{id}/history/?as_of=2026-01-01T00:00",
        ),
        ("/accounts/logout/", "/"),
    ],
)
def test_a_login_whose_next_is_post_only_lands_on_the_page_it_belongs_to(
    client, acme, staff, next_url, lands_on
):
    order = factories.order_in_state("draft", acme)

    response = client.post(
        "/accounts/login/",
        {"username": staff.username, "password": PASSWORD, "next": next_url.format(id=order.id)},
    )

    assert response.status_code == 302
    assert response["Location"] == lands_on.format(id=order.id)


def test_the_next_page_of_an_htmx_request_is_never_another_site(client, staff):
    response = client.get(
        "/orders/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://evil.example/orders/"
    )

    assert login_target(response["HX-Redirect"]) == ("/accounts/login/", "/")


def test_the_dashboards_auto_refresh_after_the_session_ended_goes_to_the_login_page(client, staff):
    log_in(client, staff)
    client.post("/accounts/logout/")

    response = client.get("/", HTTP_X_AUTO_REFRESH="true", **htmx_from("/"))

    assert login_target(response["HX-Redirect"]) == ("/accounts/login/", "/")


def _expiry(client) -> dt.datetime:
    return UserSession.objects.get(session_key=client.session.session_key).expire_date


def _make_idle(client, minutes: int) -> None:
    """Pretend the person's last request was `minutes` ago."""
    from accounts.login_flow import REFRESHED_AT

    session = client.session
    session[REFRESHED_AT] = int(timezone.now().timestamp()) - minutes * 60
    session.set_expiry(None)
    session.save()
    UserSession.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now()
        + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
        - dt.timedelta(minutes=minutes)
    )


def test_sessions_end_after_a_working_day_idle_by_default():
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60


def test_a_request_of_the_person_moves_the_end_of_the_session(client, staff):
    log_in(client, staff)
    _make_idle(client, minutes=30)
    before = _expiry(client)

    client.get("/orders/")

    assert _expiry(client) - before >= dt.timedelta(minutes=29)


def test_an_auto_refresh_does_not_keep_the_session_alive(client, staff):
    log_in(client, staff)
    _make_idle(client, minutes=30)
    before = _expiry(client)

    client.get("/", HTTP_HX_REQUEST="true", HTTP_X_AUTO_REFRESH="true")

    assert _expiry(client) == before


def test_an_idle_session_past_its_age_is_logged_out(client, staff):
    log_in(client, staff)
    UserSession.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))

    response = client.get("/orders/", **htmx_from("/orders/"))

    assert login_target(response["HX-Redirect"]) == ("/accounts/login/", "/orders/")
