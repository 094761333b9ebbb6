"""The foundation: login, anonymous redirects, health check, demo data."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.context_processors import NAV_VIEWS, nav_urls
from accounts.demo import DEMO_PASSWORD
from accounts.models import Company, User
from events.models import Event
from tests import factories

PUBLIC_NAMES = {
    "login",
    "healthz",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "set_password",  # the one-time link of /team/ and create_company (accounts/urls.py)
    "set_password_done",
    # Single sign-on (sso/urls.py): the way in through the company's identity provider.
    "sso_start_by_email",
    "sso_start",  # /sso/<slug>/login/
    "oidc_authentication_callback",
    "sso_refused",
}


def _all_url_paths():
    """Every URL pattern of the project, with sample values for its converters."""
    samples = {
        "uuid": "6f1d3a8e-1c2b-4a5d-9e8f-0a1b2c3d4e5f",
        "slug": "x",
        "str": "submit",
        "int": "1",
        "path": "x",
    }

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                yield pattern.name, route, pattern

    for name, route, _pattern in walk(get_resolver().url_patterns):
        if route.startswith("admin/") or route.startswith("^"):
            continue
        path = route
        for converter, value in samples.items():
            import re

            path = re.sub(rf"<{converter}:\w+>", value, path)
        yield name, "/" + path


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), list(_all_url_paths()), ids=lambda v: str(v))
def test_every_page_but_login_and_healthz_redirects_anonymous_users_to_login(client, name, path):
    response = client.get(path)
    if path.startswith("/api/"):  # API keys, not sessions: 401; the documentation is public
        assert response.status_code == (200 if name in ("schema", "reference") else 401), path
        return
    if name in PUBLIC_NAMES or name == "logout":
        # 404: a company without single sign-on; 403: the page saying why a sign-in was refused
        extra = {"sso_start": (404,), "sso_refused": (403,)}.get(name, ())
        assert response.status_code in (200, 302, 405, *extra)
        return
    assert response.status_code == 302, path
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_login_with_a_demo_user_lands_on_the_dashboard(client):
    from django.core.management import call_command

    call_command("seed_demo", "--orders", "0", "--force")
    response = client.post(
        reverse("login"), {"username": "acme.staff", "password": DEMO_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert response.status_code == 200
    assert b"acme.staff" in response.content
    assert b"Acme Corp" in response.content


@pytest.mark.django_db
def test_healthz_answers_ok_after_a_database_query(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_fails(client, monkeypatch):
    from django.db import DatabaseError
    from django.db.backends.utils import CursorWrapper

    def broken(*args, **kwargs):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "disk I/O error" in response.json()["database"]


@pytest.mark.django_db
def test_seed_demo_twice_leaves_the_same_rows():
    from django.core.management import call_command

    call_command("seed_demo", "--orders", "5", "--force")
    first = (
        sorted(Company.objects.values_list("slug", "name", "currency")),
        sorted(User.objects.values_list("username", "company__slug", "password")),
        Event.objects.count(),
    )
    call_command("seed_demo", "--orders", "5", "--force")
    second = (
        sorted(Company.objects.values_list("slug", "name", "currency")),
        sorted(User.objects.values_list("username", "company__slug", "password")),
        Event.objects.count(),
    )
    assert first == second
    assert len(first[1]) == 10  # one per role and a second Manager, in each of two companies
    assert {u.role for u in User.objects.filter(company__slug="acme")} == {
        "Staff",
        "Manager",
        "Auditor",
        "Ops",
    }


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off_unless_forced(settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo", "--orders", "0")


def test_the_navigation_links_are_the_reversed_urls(client, acme):
    urls = nav_urls()

    assert urls == {name.replace(":", "_"): reverse(name) for name in NAV_VIEWS}
    factories.log_in(client, factories.user("Manager", acme))
    html = client.get("/").content.decode()
    for name, url in urls.items():
        if name != "ops_desk":  # the Ops role's page: its link is for Ops only
            assert f'="{url}"' in html
    factories.log_in(client, factories.user("Ops", acme))
    assert f'="{urls["ops_desk"]}"' in client.get("/").content.decode()
