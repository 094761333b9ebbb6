"""Single sign-on in Chromium: a person of Acme types their company address on the login page,
signs in on the identity provider's own login page (a real OpenID Connect provider process),
lands on the dashboard without a Ledgerline password, and logs out of both."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.sso.provider import PASSWORD, ProviderProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def provider(server, tmp_path_factory):
    idp = ProviderProcess(tmp_path_factory.mktemp("e2e-idp"))
    secret = secrets.token_urlsafe(24)
    idp.client(
        "ledgerline-e2e",
        secret,
        [f"{server.url}/sso/callback/"],
        [f"{server.url}/accounts/login/"],
    )
    idp.person("pia", email="pia@acme.example", groups=["ledgerline-staff"], first="Pia")
    server.env["E2E_SSO_SECRET"] = secret
    try:
        server.manage(
            "configure_sso",
            "--company=acme",
            "--name=Acme IdP",
            f"--issuer={idp.issuer}",
            "--client-id=ledgerline-e2e",
            "--client-secret-env=E2E_SSO_SECRET",
            "--domain=acme.example",
            "--map=ledgerline-staff=Staff",
        )
        yield idp
    finally:
        server.env.pop("E2E_SSO_SECRET", None)
        server.manage(
            "configure_sso",
            "--company=acme",
            "--name=Acme IdP",
            f"--issuer={idp.issuer}",
            "--client-id=ledgerline-e2e",
            "--domain=acme.example",
            "--disable",
        )
        idp.stop()


def test_a_person_signs_in_through_the_identity_provider_and_out_again(session, server, provider):
    page = session.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Company e-mail address").fill("pia@acme.example")
    page.get_by_role("button", name="Continue with your identity provider").click()
    page.get_by_role("link", name="Sign in with Acme IdP").click()

    expect(page.get_by_role("heading", name="Test Identity Provider")).to_be_visible()
    assert page.url.startswith(provider.issuer.removesuffix("/o"))
    page.get_by_label("Username").fill("pia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()

    page.wait_for_url(f"{server.url}/")
    expect(page.get_by_test_id("nav-identity")).to_contain_text("pia@acme.example")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server.url}/accounts/login/")
    # The provider's session ended too: signing in again asks for the password there.
    page.get_by_label("Company e-mail address").fill("pia@acme.example")
    page.get_by_role("button", name="Continue with your identity provider").click()
    page.get_by_role("link", name="Sign in with Acme IdP").click()
    expect(page.get_by_role("heading", name="Test Identity Provider")).to_be_visible()
