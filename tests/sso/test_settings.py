"""A company's sign-in settings: the Manager's page, the operator's command, password login
switched off, and logout that ends the provider's session too."""

from __future__ import annotations

import os
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Role
from events.models import Event
from sso.models import IdentityProvider
from tests import factories

from .conftest import ACME_CLIENT
from .provider import PersonAtProvider
from .test_sign_in import sign_in, signed_in_user, start

FORM = {
    "name": "Acme IdP",
    "issuer": "",
    "client_id": ACME_CLIENT[0],
    "client_secret": ACME_CLIENT[1],
    "email_domains": "acme.example, acme-group.example",
    "groups_claim": "groups",
    "role_map": "ledgerline-staff = Staff\nledgerline-managers = Manager",
    "password_login": "everyone",
    "enabled": "on",
}


def test_a_manager_sets_the_provider_and_the_change_is_an_access_event(
    client, acme, acme_manager, acme_idp
):
    factories.log_in(client, acme_manager)
    response = client.post("/team/sign-in/", {**FORM, "issuer": acme_idp.issuer})

    assert response.status_code == 302
    provider = IdentityProvider.objects.get(company=acme)
    assert sorted(provider.domains.values_list("domain", flat=True)) == [
        "acme-group.example",
        "acme.example",
    ]
    event = Event.objects.get(stream_id=acme.pk, event_type="IdentityProviderConfigured")
    assert event.metadata["actor_username"] == acme_manager.username
    assert event.payload["secret_changed"] is True
    assert ACME_CLIENT[1] not in str(event.payload)
    with connection.cursor() as cursor:  # the secret is not readable in the database
        cursor.execute("SELECT client_secret_encrypted FROM sso_identityprovider")
        assert ACME_CLIENT[1] not in cursor.fetchone()[0]


def test_staff_cannot_open_the_sign_in_settings(client, staff):
    factories.log_in(client, staff)
    assert client.get("/team/sign-in/").status_code == 403
    assert client.post("/team/sign-in/", FORM).status_code == 403


def test_a_domain_of_another_company_and_a_plain_http_issuer_are_refused(
    client, acme, acme_manager, globex, settings
):
    factories.user(Role.MANAGER, globex)
    call_command(
        "configure_sso",
        company="globex",
        name="Globex IdP",
        issuer="https://idp.globex.example",
        client_id="g",
        domain=["globex.example"],
        stdout=StringIO(),
        **{"client_secret_env": "PATH"},
    )
    settings.SSO_ALLOW_HTTP_ISSUER = False
    factories.log_in(client, acme_manager)

    response = client.post(
        "/team/sign-in/",
        {**FORM, "issuer": "http://idp.acme.example", "email_domains": "GLOBEX.example"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Already used by another company: globex.example" in page
    assert "https://" in page
    assert not IdentityProvider.objects.filter(company=acme).exists()


def test_the_command_needs_the_secret_from_the_environment_not_the_command_line(acme):
    os.environ.pop("NO_SUCH_SECRET", None)
    with pytest.raises(CommandError, match="is empty"):
        call_command(
            "configure_sso",
            company="acme",
            name="Acme IdP",
            issuer="https://idp.acme.example",
            client_id="c",
            domain=["acme.example"],
            client_secret_env="NO_SUCH_SECRET",
        )


def test_password_login_switched_off_tells_the_person_where_to_sign_in(
    client, acme, acme_sso, staff, acme_manager
):
    from sso import commands

    commands.configure_provider(
        actor=acme_manager,
        company=acme,
        name="Acme IdP",
        issuer=acme_sso.issuer,
        client_id=ACME_CLIENT[0],
        client_secret=None,
        email_domains=["acme.example"],
        groups_claim="groups",
        role_map=acme_sso.role_map,
        password_login="managers",
    )

    refused = client.post(
        "/accounts/login/", {"username": staff.username, "password": factories.PASSWORD}
    )
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "signs in through its identity provider" in refused.content.decode()

    allowed = client.post(
        "/accounts/login/", {"username": acme_manager.username, "password": factories.PASSWORD}
    )
    assert allowed.status_code == 302 and "_auth_user_id" in client.session


def test_logout_ends_the_providers_session_too(client, acme_sso, acme_idp):
    acme_idp.person("lena", email="lena@acme.example", groups=["ledgerline-staff"])
    lena = PersonAtProvider("lena")
    sign_in(client, lena)
    id_token = client.session["oidc_id_token"]

    response = client.post("/accounts/logout/")

    assert signed_in_user(client) is None
    end = urlsplit(response["Location"])
    assert f"{end.scheme}://{end.netloc}{end.path}" == f"{acme_idp.issuer}/logout/"
    query = parse_qs(end.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    # Lena's browser follows the redirect: the provider's session ends, so the next sign-in
    # asks for her password at the provider again.
    lena.http.get(response["Location"], allow_redirects=False, timeout=10)
    again = lena.http.get(start(client), allow_redirects=False, timeout=10)
    assert urlsplit(again.headers["Location"]).path == "/accounts/login/"


def test_logout_of_a_password_session_stays_on_this_site(client, staff):
    factories.log_in(client, staff)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"].endswith("/accounts/login/")


def test_a_first_provider_without_its_secret_is_refused_in_the_readers_language(
    client, acme, acme_manager, acme_idp
):
    acme_manager.language = "de"
    acme_manager.save(update_fields=["language"])
    factories.log_in(client, acme_manager)

    response = client.post(
        "/team/sign-in/", {**FORM, "issuer": acme_idp.issuer, "client_secret": ""}
    )

    assert response.status_code == 400
    assert "Das Client-Geheimnis ist erforderlich." in response.content.decode()
    assert not IdentityProvider.objects.filter(company=acme).exists()
