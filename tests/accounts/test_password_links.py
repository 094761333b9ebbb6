"""Issue #24 item 9: a set-password link is an invitation (for a user who has not yet set a
password) or a reset sent only to the user's own address; issuing a new link voids the older
ones, a role change voids the links issued before it, deactivation voids them all; a Manager
can never obtain a usable link for a peer who has a password."""

import re

import pytest
from django.core import mail

from accounts import commands
from accounts.exceptions import InvalidAccessChange
from accounts.models import Role
from events.models import Event
from tests import factories
from tests.factories import log_in, send_owed_mail

pytestmark = pytest.mark.django_db

PASSWORD = "Swingline-stapler-42"


def invite(manager, username="acme.peter", role="Staff"):
    """A new user (no password yet) and the invitation link the Manager was given."""
    link = commands.add_user(
        actor=manager,
        username=username,
        first_name="",
        last_name="",
        email=f"{username}@acme.test",
        role=role,
    )
    return link.user, link.url


def works(client, url: str) -> bool:
    """Whether the set-password link opens the form (Django's `validlink`)."""
    client.logout()
    return bool(client.get(url, follow=True).context["validlink"])


def sets_password(client, url: str) -> bool:
    client.logout()
    form = client.get(url, follow=True)
    if not form.context["validlink"]:
        return False
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    return done.status_code == 302


def test_issuing_a_new_link_voids_the_older_one(client, manager):
    peter, first = invite(manager)
    second = commands.issue_password_link(actor=manager, user_id=peter.pk).url

    assert not works(client, first)
    assert sets_password(client, second)


def test_deactivation_voids_every_link_even_after_reactivation(client, manager):
    peter, url = invite(manager)
    commands.deactivate_user(actor=manager, user_id=peter.pk)

    assert not sets_password(client, url)
    commands.reactivate_user(actor=manager, user_id=peter.pk)
    assert not sets_password(client, url)


def test_a_role_change_voids_the_links_issued_before_it(client, manager):
    peter, url = invite(manager)
    commands.change_role(actor=manager, user_id=peter.pk, role=Role.MANAGER.value)

    assert not sets_password(client, url)


def test_a_link_for_a_user_without_a_password_works_once(client, manager):
    _, url = invite(manager)

    assert sets_password(client, url)
    assert not works(client, url)


def test_a_manager_gets_no_link_for_a_peer_who_has_a_password(client, manager):
    peer = factories.user(Role.MANAGER, manager.company, username="acme.peer")
    events = Event.objects.count()

    with pytest.raises(InvalidAccessChange):
        commands.issue_password_link(actor=manager, user_id=peer.pk)
    log_in(client, manager)
    answer = client.post(f"/team/{peer.pk}/password-link/", follow=True)

    assert answer.status_code == 422
    assert "/accounts/set-password/" not in answer.content.decode()
    assert "already has a password" in answer.content.decode()
    assert Event.objects.count() == events


def test_a_link_for_a_user_with_a_password_goes_only_to_their_address(client, manager, settings):
    settings.EMAIL_HOST = "smtp.example.test"
    peer = factories.user(Role.MANAGER, manager.company, username="acme.peer")
    peer.email = "peer@acme.test"
    peer.save()
    log_in(client, manager)

    answer = client.post(f"/team/{peer.pk}/password-link/", follow=True)
    send_owed_mail()

    (message,) = mail.outbox
    assert message.to == ["peer@acme.test"]
    page = answer.content.decode()
    assert "e-mailed to peer@acme.test" in page
    url = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", message.body).group(1)
    assert url not in page
    assert sets_password(client, url)  # the peer's own mail: the reset works for them


def test_a_password_reset_voids_the_earlier_links(client, manager, settings):
    peter, url = invite(manager)
    commands.issue_password_link(actor=manager, user_id=peter.pk)
    newest = commands.issue_password_link(actor=manager, user_id=peter.pk).url

    assert not works(client, url)
    assert sets_password(client, newest)
    assert not works(client, newest)
