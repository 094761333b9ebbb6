"""/team/ (issue #32): a Manager unlocks a locked-out colleague (an event); pending invitations
are listed with their status, resend and revoke; a set-password link shown to the Manager stays
on the page beside the invitation, not only in a dismissable message."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts import sign_ins
from accounts.models import Role, User
from events.models import Event
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
NEW_USER = {
    "username": "acme.peter",
    "first_name": "Peter",
    "last_name": "Gibbons",
    "email": "peter@acme.test",
    "role": "Staff",
}


@pytest.fixture
def manager_client(client, manager):
    log_in(client, manager)
    return client


def lock_out(user) -> Client:
    stranger = Client(REMOTE_ADDR="203.0.113.20")
    for _ in range(5):
        stranger.post(LOGIN, {"username": user.username, "password": "wrong-guess-1"})
    return stranger


LINK = r'value="([^"]*/set-password/[^"]+)"'


def shown_links(page) -> list[str]:
    return re.findall(LINK, page.content.decode())


def row_of(page, username: str) -> str:
    text = page.content.decode()
    return re.search(rf'<tr data-username="{username}">.*?</tr>', text, re.S).group(0)


def test_a_manager_unlocks_a_locked_out_colleague_and_it_is_an_event(
    manager_client, manager, staff
):
    stranger = lock_out(staff)
    assert "locked out" in row_of(manager_client.get("/team/"), staff.username)
    locked = stranger.post(LOGIN, {"username": staff.username, "password": factories.PASSWORD})
    assert locked.status_code == 429

    response = manager_client.post(f"/team/{staff.pk}/unlock/", follow=True)

    assert response.status_code == 200
    assert "is unlocked" in response.content.decode()
    assert "locked out" not in row_of(response, staff.username)
    event = Event.objects.filter(event_type="UserUnlocked").get()
    assert event.metadata["actor_username"] == manager.username
    assert event.payload["username"] == staff.username
    assert event.stream_id == sign_ins.sign_in_stream_id(staff.pk)
    again = stranger.post(LOGIN, {"username": staff.username, "password": factories.PASSWORD})
    assert again.status_code == 302


def test_unlocking_someone_who_is_not_locked_is_refused_and_writes_nothing(manager_client, staff):
    events = Event.objects.count()

    response = manager_client.post(f"/team/{staff.pk}/unlock/")

    assert response.status_code == 422
    assert "is not locked out" in response.content.decode()
    assert Event.objects.count() == events


def test_staff_cannot_unlock_and_another_companys_user_is_a_404(client, acme, globex, staff):
    other = factories.user(Role.STAFF, globex)
    lock_out(other)
    log_in(client, staff)
    assert client.post(f"/team/{other.pk}/unlock/").status_code == 403
    log_in(client, factories.user(Role.MANAGER, acme))
    assert client.post(f"/team/{other.pk}/unlock/").status_code == 404


def test_pending_invitations_are_listed_with_the_link_kept_on_the_page(manager_client):
    manager_client.post("/team/", NEW_USER)
    peter = User.objects.get(username="acme.peter")

    page = manager_client.get("/team/").content.decode()
    again = manager_client.get("/team/").content.decode()  # the message is gone by now

    invitations = page[page.index('data-testid="invitations"') :]
    assert 'data-invited="acme.peter"' in invitations
    assert "waiting; the link works until" in invitations
    link = re.search(r'data-testid="shown-link"', again)
    assert link is not None
    url = re.search(r'value="([^"]+/accounts/set-password/[^"]+)"', again).group(1)
    assert Client().get(url, follow=True).status_code == 200
    assert str(peter.pk) in again


def test_a_resent_invitation_replaces_the_link_shown_and_an_expired_one_says_so(
    manager_client, settings
):
    manager_client.post("/team/", NEW_USER)
    first = shown_links(manager_client.get("/team/"))[0]
    peter = User.objects.get(username="acme.peter")

    manager_client.post(f"/team/{peter.pk}/password-link/")
    page = manager_client.get("/team/").content.decode()

    shown = re.findall(LINK, page)
    assert len(shown) == 1 and shown[0] != first
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link issued so far is past its time
    expired = manager_client.get("/team/").content.decode()
    assert "link expired" in expired
    assert 'data-testid="shown-link"' not in expired  # a dead link is not offered


def test_revoking_an_invitation_deactivates_the_user_and_voids_the_link(manager_client, manager):
    manager_client.post("/team/", NEW_USER)
    page = manager_client.get("/team/").content.decode()
    url = re.search(r'value="([^"]*/set-password/[^"]+)"', page).group(1)
    peter = User.objects.get(username="acme.peter")

    response = manager_client.post(f"/team/{peter.pk}/revoke-invitation/", follow=True)

    assert "was revoked" in response.content.decode()
    peter.refresh_from_db()
    assert not peter.is_active
    [revoked] = Event.objects.filter(event_type="InvitationRevoked")
    assert revoked.metadata["actor_username"] == manager.username
    invitations = response.content.decode().split('data-testid="invitations"')[1]
    assert "acme.peter" not in invitations.split("add-heading")[0]
    opened = Client().get(url, follow=True).content.decode()
    assert 'name="new_password1"' not in opened


def test_an_invitation_cannot_be_revoked_once_the_password_is_set(manager_client, staff):
    response = manager_client.post(f"/team/{staff.pk}/revoke-invitation/")

    assert response.status_code == 422
    staff.refresh_from_db()
    assert staff.is_active


def test_an_invitation_never_sent_a_link_says_so(manager_client, acme):
    waiting = User(username="acme.silent", company=acme, email="s@acme.test")
    waiting.set_unusable_password()
    waiting.save()

    page = manager_client.get("/team/").content.decode()

    row = re.search(r'<tr data-invited="acme.silent">.*?</tr>', page, re.S).group(0)
    assert "no link sent" in row
