"""Which language a page speaks: the browser's Accept-Language, unless the user chose one in
"My settings" (User.language), which wins (issue #29 item 2)."""

import pytest

from accounts.models import Role, User
from tests import factories

pytestmark = pytest.mark.django_db


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}


def test_a_visitor_whose_browser_asks_for_german_gets_german(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")

    assert response["Content-Language"] == "de"
    assert '<html lang="de">' in response.content.decode()
    assert "Melden Sie sich an" in response.content.decode()
    assert "accept-language" in vary(response)


def test_a_visitor_whose_browser_asks_for_english_or_anything_else_gets_english(client):
    for header in ("en-GB,en;q=0.8", "fr-FR", ""):
        response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=header)

        assert response["Content-Language"] == "en"
        assert '<html lang="en">' in response.content.decode()
        assert "Log in to manage your company" in response.content.decode()


@pytest.mark.parametrize(
    ("chosen", "browser", "expected"),
    [
        ("", "de", "de"),  # no choice: the browser's
        ("", "en", "en"),
        ("en", "de", "en"),  # the user's choice overrides the browser
        ("de", "en", "de"),
    ],
)
def test_the_users_choice_overrides_the_browsers_language(client, acme, chosen, browser, expected):
    manager = factories.user(Role.MANAGER, acme)
    User.objects.filter(pk=manager.pk).update(language=chosen)
    factories.log_in(client, manager)

    response = client.get("/orders/", HTTP_ACCEPT_LANGUAGE=browser)

    assert response.status_code == 200
    assert response["Content-Language"] == expected
    assert f'<html lang="{expected}">' in response.content.decode()
    heading = {"de": "Bestellungen", "en": "Orders"}[expected]
    assert f'<h1 class="h3 mb-0">{heading}</h1>' in response.content.decode()
    # A page of a signed-in user varies on the session cookie (whose user chose what) and on
    # Accept-Language, and stays private to the browser.
    assert {"cookie", "accept-language", "hx-request"} <= vary(response)
    assert "private" in response["Cache-Control"]


def test_a_chosen_language_stays_for_the_pages_seen_after_logging_out(client, acme):
    manager = factories.user(Role.MANAGER, acme)
    User.objects.filter(pk=manager.pk).update(language="de")
    factories.log_in(client, manager)

    page = client.get("/orders/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.cookies["django_language"].value == "de"
    assert page.cookies["django_language"]["httponly"]
    client.post("/accounts/logout/")
    login = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")

    assert login["Content-Language"] == "de"
    assert {"cookie", "accept-language"} <= vary(login)


def test_going_back_to_the_browsers_language_removes_the_cookie(client, acme):
    manager = factories.user(Role.MANAGER, acme)
    factories.log_in(client, manager)
    client.cookies["django_language"] = "de"

    page = client.get("/orders/", HTTP_ACCEPT_LANGUAGE="en")

    assert page.cookies["django_language"].value == ""  # deleted
    assert page["Content-Language"] == "en"
    assert client.get("/orders/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"
