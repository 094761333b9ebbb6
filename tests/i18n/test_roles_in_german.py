"""A user's roles read in German wherever they are shown: each role's name translated and the
names joined, for a user in two groups too ("Ops, Staff" is stored; "Betrieb, Mitarbeiter" is
read). The walk of every page (test_every_page_in_german.py) has one role per user; these are
the places a combined role, or a role named in an answer to an action, is shown."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group

from accounts.models import Role, User
from tests import factories

from .visible_text import english_on_page

pytestmark = pytest.mark.django_db

ROLE_BADGE = re.compile(r'<span class="badge text-bg-secondary">([^<]*)</span>')
DATA = frozenset({"Acme Corp"})


@pytest.fixture
def team(acme):
    """Acme's Manager and a colleague in two groups (Staff and Ops), both reading German."""
    manager = factories.user(Role.MANAGER, acme)
    both = factories.user(Role.STAFF, acme)
    both.groups.add(Group.objects.get(name=Role.OPS.value))
    User.objects.filter(company=acme).update(language="de")
    return {"manager": manager, "both": both}


def selected_role(html: str, member: User) -> str:
    row = html[html.index(f'data-username="{member.username}"') :]
    return re.search(r"<option[^>]*selected[^>]*>([^<]*)</option>", row)[1]


@pytest.mark.parametrize("path", ["/orders/", "/audit/"])
def test_the_badge_of_a_user_in_two_groups_names_both_roles_in_german(client, team, path):
    factories.log_in(client, team["both"])

    response = client.get(path)

    assert response.status_code == 200
    assert ROLE_BADGE.search(response.content.decode())[1] == "Betrieb, Mitarbeiter"
    assert english_on_page(response.content.decode(), data=DATA) == []


def test_a_browser_asking_for_german_reads_the_badge_in_german(client, team):
    User.objects.filter(pk=team["both"].pk).update(language="")
    factories.log_in(client, team["both"])

    response = client.get("/orders/", headers={"accept-language": "de"})

    assert ROLE_BADGE.search(response.content.decode())[1] == "Betrieb, Mitarbeiter"


def test_the_team_page_shows_the_two_roles_a_member_has_in_german(client, team):
    """Not the first role of the list ("Mitarbeiter") as if it were the member's only one."""
    factories.log_in(client, team["manager"])

    response = client.get("/team/")

    html = response.content.decode()
    assert selected_role(html, team["both"]) == "Betrieb, Mitarbeiter"
    assert selected_role(html, team["manager"]) == "Manager"
    assert english_on_page(html, data=DATA) == []


def test_the_api_keys_page_names_a_keys_roles_in_german(client, team):
    from accounts import commands as access

    key = access.create_api_key(actor=team["manager"], name="Webshop", role="Staff")
    key.api_key.user.groups.add(Group.objects.get(name=Role.OPS.value))
    factories.log_in(client, team["manager"])

    html = client.get("/team/api-keys/").content.decode()

    row = html[html.index('data-key-name="Webshop"') :]
    assert "<td>Betrieb, Mitarbeiter</td>" in row


def test_the_answer_to_a_role_change_names_the_new_role_in_german(client, team):
    factories.log_in(client, team["manager"])

    response = client.post(f"/team/{team['both'].pk}/role/", {"role": "Auditor"}, follow=True)

    html = response.content.decode()
    assert f"{team['both'].username} ist jetzt Prüfer." in html
    assert english_on_page(html, data=DATA) == []


def test_the_answers_to_deactivating_and_reactivating_are_in_german(client, team):
    factories.log_in(client, team["manager"])
    member = team["both"].pk

    deactivated = client.post(f"/team/{member}/deactivate/", follow=True).content.decode()
    reactivated = client.post(f"/team/{member}/reactivate/", follow=True).content.decode()

    assert "acme.staff wurde deaktiviert und abgemeldet." in deactivated
    assert "acme.staff kann sich wieder anmelden." in reactivated
    assert english_on_page(deactivated, data=DATA) == []
    assert english_on_page(reactivated, data=DATA) == []


def test_a_manager_asked_to_confirm_their_own_demotion_reads_the_role_in_german(client, team):
    manager = team["manager"]
    factories.user(Role.MANAGER, manager.company, username="acme.manager2")
    factories.log_in(client, manager)

    response = client.post(f"/team/{manager.pk}/role/", {"role": "Ops"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Bestätigen: Rolle ändern in Betrieb" in html
    assert "change the role" not in html
    assert english_on_page(html, data=DATA) == []


def test_a_role_that_is_none_of_the_choices_is_refused_naming_the_roles_in_german(client, team):
    factories.log_in(client, team["manager"])

    response = client.post(f"/team/{team['both'].pk}/role/", {"role": "Boss"})

    html = response.content.decode()
    assert response.status_code == 422
    assert "Wählen Sie eine Rolle: Mitarbeiter, Manager, Prüfer, Betrieb." in html


def test_a_line_of_the_sign_in_role_map_that_is_no_pair_is_refused_in_german(client, team):
    factories.log_in(client, team["manager"])

    response = client.post(
        "/team/sign-in/",
        {
            "name": "Acme IdP",
            "issuer": "https://idp.acme.example",
            "client_id": "ledgerline",
            "client_secret": "geheim",
            "email_domains": "acme.example",
            "groups_claim": "groups",
            "role_map": "ledgerline-staff = Staff\nledgerline-ops Ops",
            "password_login": "everyone",
            "enabled": "on",
        },
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Zeile 2: schreiben Sie sie als Gruppe = Rolle." in html
    assert english_on_page(html, data=DATA) == []
