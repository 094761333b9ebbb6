"""Signing in through the company's identity provider, against a real OpenID Connect provider
process: provisioning, roles from groups, and every refusal the protocol and the tenancy ask for.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from accounts.models import Role, User
from events.models import Event
from sso import oidc
from sso.exceptions import SignInRefused
from sso.models import ExternalIdentity
from tests import factories

from .conftest import ACME_CLIENT, CALLBACK
from .provider import PersonAtProvider, tokens_for

pytestmark = pytest.mark.slow


def start(client, slug: str = "acme") -> str:
    response = client.get(f"/sso/{slug}/login/")
    assert response.status_code == 302, response
    return response["Location"]


def finish(client, callback_url: str):
    parts = urlsplit(callback_url)
    assert parts.path == "/sso/callback/", callback_url
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client, person: PersonAtProvider, slug: str = "acme"):
    return finish(client, person.authorize(start(client, slug)))


def test_an_sso_session_may_submit_its_logout_to_the_provider_and_no_other_session_may(
    client, acme_sso, acme_idp, staff
):
    acme_idp.person("olga", email="olga@acme.example", groups=["ledgerline-staff"])
    sign_in(client, PersonAtProvider("olga"))
    page = client.get("/")
    form_action = next(d for d in page["Content-Security-Policy"].split(";") if "form-action" in d)
    assert form_action.split() == ["form-action", "'self'", f"http://127.0.0.1:{acme_idp.port}"]

    factories.log_in(client, staff)  # a password session
    assert "127.0.0.1:" not in client.get("/")["Content-Security-Policy"]


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def refusal(client, response) -> str:
    assert response.status_code == 302 and response["Location"] == "/sso/refused/", response
    page = client.get("/sso/refused/")
    assert page.status_code == 403
    return page.content.decode()


def access_events(user, event_type: str):
    return Event.objects.filter(stream_id=user.pk, event_type=event_type).order_by("version")


def test_first_sign_in_creates_the_user_with_the_role_of_their_group(client, acme_sso, acme_idp):
    acme_idp.person("anna", email="Anna@acme.example", groups=["ledgerline-staff"], first="Anna")

    response = sign_in(client, PersonAtProvider("anna"))

    assert response.status_code == 302 and response["Location"] == "/"
    user = signed_in_user(client)
    assert (user.username, user.email, user.company.slug) == ("anna@acme.example",) * 2 + ("acme",)
    assert user.role == Role.STAFF.value and not user.has_usable_password()
    added = access_events(user, "UserAdded").get()
    assert added.metadata["actor_username"] == "Acme IdP (SSO)"
    assert added.payload["role"] == "Staff"
    assert client.get("/").status_code == 200  # the session works on the next request


def test_a_group_change_at_the_provider_changes_the_role_at_the_next_sign_in(
    client, acme_sso, acme_idp
):
    acme_idp.person("bert", email="bert@acme.example", groups=["ledgerline-staff"])
    sign_in(client, PersonAtProvider("bert"))
    client.logout()
    acme_idp.person("bert", email="bert@acme.example", groups=["x", "ledgerline-managers"])

    sign_in(client, PersonAtProvider("bert"))

    user = signed_in_user(client)
    assert user.role == Role.MANAGER.value
    changed = access_events(user, "UserRoleChanged").get()
    assert (changed.payload["from_role"], changed.payload["to_role"]) == ("Staff", "Manager")
    assert changed.metadata["actor_username"] == "Acme IdP (SSO)"


def test_a_person_in_no_mapped_group_gets_no_access_and_loses_the_role_they_had(
    client, acme_sso, acme_idp
):
    acme_idp.person("carl", email="carl@acme.example", groups=["sales"])
    page = refusal(client, sign_in(client, PersonAtProvider("carl")))
    assert "in no group that gives access" in page
    assert not User.objects.filter(email="carl@acme.example").exists()

    acme_idp.person("carl", email="carl@acme.example", groups=["ledgerline-staff"])
    sign_in(client, PersonAtProvider("carl"))
    user = signed_in_user(client)
    other_session = client.session.session_key
    client.logout()
    acme_idp.person("carl", email="carl@acme.example", groups=["sales"])

    refusal(client, sign_in(client, PersonAtProvider("carl")))

    user.refresh_from_db()
    assert user.role == "" and signed_in_user(client) is None
    assert other_session != client.session.session_key
    assert access_events(user, "UserRoleChanged").last().payload["to_role"] == ""
    assert access_events(user, "SsoSignInRefused").count() == 1


def test_a_user_deactivated_in_ledgerline_cannot_get_in_through_the_provider(
    client, acme_sso, acme_idp, acme_manager
):
    from accounts import commands as team

    acme_idp.person("dora", email="dora@acme.example", groups=["ledgerline-staff"])
    sign_in(client, PersonAtProvider("dora"))
    user = signed_in_user(client)
    client.logout()
    team.deactivate_user(actor=acme_manager, user_id=user.pk)

    page = refusal(client, sign_in(client, PersonAtProvider("dora")))

    assert "deactivated" in page and signed_in_user(client) is None


def test_an_existing_user_of_the_company_is_linked_by_e_mail_not_duplicated(
    client, acme_sso, acme_idp, acme
):
    existing = User.objects.create_user("eva", email="eva@acme.example", company=acme)
    existing.groups.add(
        *__import__("django.contrib.auth.models").contrib.auth.models.Group.objects.filter(
            name="Staff"
        )
    )
    acme_idp.person("eva", email="eva@acme.example", groups=["ledgerline-staff"])

    sign_in(client, PersonAtProvider("eva"))

    assert signed_in_user(client) == existing
    assert ExternalIdentity.objects.get(user=existing).issuer == acme_sso.issuer
    assert access_events(existing, "SsoIdentityLinked").count() == 1


def test_an_address_of_another_companys_domain_is_refused(
    client, acme_sso, acme_idp, globex, globex_staff
):
    globex_staff.email = "gina@globex.example"
    globex_staff.save()
    acme_idp.person("gina", email="gina@globex.example", groups=["ledgerline-managers"])

    page = refusal(client, sign_in(client, PersonAtProvider("gina")))

    assert "does not belong to Acme Corp" in page
    assert signed_in_user(client) is None
    assert not ExternalIdentity.objects.exists()


def test_acmes_provider_cannot_sign_anyone_into_globex(client, acme_sso, acme_idp, globex):
    """Only the company whose domain it is: a Globex address is refused, and there is no URL
    that sends an Acme provider's answer to Globex (Globex has no provider at all)."""
    assert client.get("/sso/globex/login/").status_code == 404
    acme_idp.person("hank", email="hank@globex.example", groups=["ledgerline-managers"])
    refusal(client, sign_in(client, PersonAtProvider("hank")))
    assert not User.objects.filter(company=globex, email="hank@globex.example").exists()


def test_a_replayed_callback_is_refused_and_signs_nobody_in(client, acme_sso, acme_idp):
    acme_idp.person("ivan", email="ivan@acme.example", groups=["ledgerline-staff"])
    back = PersonAtProvider("ivan").authorize(start(client))
    assert finish(client, back).status_code == 302
    client.logout()

    replay = finish(client, back)

    assert replay.status_code in (302, 400) and signed_in_user(client) is None
    if replay.status_code == 302:
        assert replay["Location"] == "/sso/refused/"


def test_an_answer_for_another_sign_in_of_the_same_browser_is_refused(client, acme_sso, acme_idp):
    """Two sign-ins started; the code of the first comes back with the state of the second: its
    nonce and PKCE verifier belong to the first, so the provider or our nonce check refuses."""
    acme_idp.person("jane", email="jane@acme.example", groups=["ledgerline-staff"])
    person = PersonAtProvider("jane")
    first = person.authorize(start(client))
    second = person.authorize(start(client))
    code = parse_qs(urlsplit(first).query)["code"][0]
    state = parse_qs(urlsplit(second).query)["state"][0]

    response = client.get(f"/sso/callback/?code={code}&state={state}")

    assert response["Location"] == "/sso/refused/" and signed_in_user(client) is None


def test_the_login_page_finds_the_provider_by_the_typed_e_mail_domain(client, acme_sso):
    response = client.get("/sso/", {"email": "someone@ACME.example", "next": "/orders/"})
    assert response.status_code == 200
    assert 'href="/sso/acme/login/?next=%2Forders%2F"' in response.content.decode()
    assert "Sign in with Acme IdP" in response.content.decode()

    unknown = client.get("/sso/", {"email": "someone@nowhere.example"}, follow=True)
    assert "No company signs in through an identity provider" in unknown.content.decode()


# --- the ID token's checks, with real tokens from the providers --------------------------------


@pytest.fixture
def kim(acme_idp):
    acme_idp.person("kim", email="kim@acme.example", groups=["ledgerline-staff"])
    return PersonAtProvider("kim")


def check(token: str, provider, *, client_id=ACME_CLIENT[0], nonce="n-0123456789", now=None):
    return oidc.verify_id_token(
        token,
        discovery=oidc.discover(provider.issuer),
        client_id=client_id,
        nonce=nonce,
        now=now,
    )


def test_a_valid_id_token_passes_every_check(acme_idp, kim):
    token = tokens_for(
        acme_idp, kim, client_id=ACME_CLIENT[0], secret=ACME_CLIENT[1], redirect_uri=CALLBACK
    )["id_token"]
    claims = check(token, acme_idp)
    assert claims["email"] == "kim@acme.example" and claims["groups"] == ["ledgerline-staff"]


def test_a_token_from_another_issuer_is_refused(acme_idp, globex_idp):
    globex_idp.person("kim", email="kim@acme.example", groups=["ledgerline-managers"])
    token = tokens_for(
        globex_idp,
        PersonAtProvider("kim"),
        client_id=ACME_CLIENT[0],
        secret=ACME_CLIENT[1],
        redirect_uri=CALLBACK,
    )["id_token"]
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == ACME_CLIENT[0]
    with pytest.raises(SignInRefused):
        check(token, acme_idp)


def test_a_token_for_another_audience_is_refused(acme_idp, kim):
    token = tokens_for(
        acme_idp,
        kim,
        client_id="another-app",
        secret="another-secret-0123456789",
        redirect_uri=CALLBACK,
    )["id_token"]
    with pytest.raises(SignInRefused):
        check(token, acme_idp)


def test_an_expired_token_is_refused(acme_idp, kim):
    token = tokens_for(
        acme_idp, kim, client_id=ACME_CLIENT[0], secret=ACME_CLIENT[1], redirect_uri=CALLBACK
    )["id_token"]
    expires = dt.datetime.fromtimestamp(
        jwt.decode(token, options={"verify_signature": False})["exp"], dt.UTC
    )
    assert check(token, acme_idp, now=expires)  # within the minute of clock skew
    with pytest.raises(SignInRefused, match="expired"):
        check(token, acme_idp, now=expires + dt.timedelta(minutes=2))


def test_a_token_with_another_nonce_is_refused(acme_idp, kim):
    token = tokens_for(
        acme_idp,
        kim,
        client_id=ACME_CLIENT[0],
        secret=ACME_CLIENT[1],
        redirect_uri=CALLBACK,
        nonce="the-first-sign-in",
    )["id_token"]
    with pytest.raises(SignInRefused):
        check(token, acme_idp, nonce="the-second-sign-in")


def test_a_tampered_token_is_refused(acme_idp, kim):
    token = tokens_for(
        acme_idp, kim, client_id=ACME_CLIENT[0], secret=ACME_CLIENT[1], redirect_uri=CALLBACK
    )["id_token"]
    header, payload, signature = token.split(".")
    forged = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b"ledgerline-staff", b"ledgerline-manager")
    ).decode()
    with pytest.raises(SignInRefused):
        check(f"{header}.{forged}.{signature}", acme_idp)


def test_a_single_sign_on_is_in_the_companys_log_as_a_sign_in(client, acme_sso, acme_idp):
    acme_idp.person("sina", email="sina@acme.example", groups=["ledgerline-staff"])

    sign_in(client, PersonAtProvider("sina"))

    user = signed_in_user(client)
    signed = Event.objects.get(stream_type="sign_in", event_type="UserSignedIn")
    assert signed.payload == {"username": user.username, "method": "single sign-on"}
    assert signed.company_id == user.company_id
    assert signed.metadata["actor_username"] == user.username
