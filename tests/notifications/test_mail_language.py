"""A mail is written in its recipient's language (User.language, else LANGUAGE_CODE), whoever
acted and in whatever language they saw their page; what the outbox keeps stays English."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from accounts import commands as access
from accounts.models import User
from orders import commands
from outbox.models import OutboxItem
from tests import factories

pytestmark = pytest.mark.django_db


def speak(user, language: str):
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return user


def mail_to(user):
    (message,) = [m for m in mail.outbox if user.email in m.to]
    return message


def test_a_german_manager_is_asked_for_approval_in_german_an_english_one_in_english(team, notify):
    speak(team["manager"], "de")
    order = factories.advance(
        factories.place(team["staff"]), "submitted", staff=team["staff"], manager=team["manager"]
    )

    notify()

    german, english = mail_to(team["manager"]), mail_to(team["manager2"])
    assert german.subject == f"Ledgerline: {order.number} wartet auf Ihre Freigabe"
    assert "Guten Tag" in german.body and "wartet auf Ihre Freigabe" in german.body
    assert "Sie erhalten diese Nachricht wegen Ihrer Benachrichtigungseinstellungen" in german.body
    html, _ = german.alternatives[0]
    assert '<html lang="de">' in html and f"{order.number} öffnen" in html
    assert "waits for your approval" not in german.body + html
    assert english.subject == f"Ledgerline: {order.number} waits for your approval"
    assert "Hello" in english.body and '<html lang="en">' in english.alternatives[0][0]


def test_a_rejection_reaches_a_german_placer_in_german_with_the_reason_as_written(team, notify):
    speak(team["staff"], "de")
    order = factories.advance(
        factories.place(team["staff"]), "submitted", staff=team["staff"], manager=team["manager"]
    )
    notify()
    mail.outbox.clear()

    commands.reject(order.id, reason="Preise prüfen", actor=team["manager"], expected_version=2)
    notify()

    message = mail_to(team["staff"])
    assert message.subject == f"Ledgerline: {order.number} wurde abgelehnt"
    assert "abgelehnt von acme.manager" in message.body
    assert "Begründung: Preise prüfen" in message.body
    # The outbox keeps the English words: each mail is translated when it is sent.
    item = OutboxItem.objects.get(subscriber="notifier", data__kind="rejected_held")
    assert item.data["label"] == "Rejected"
    assert item.data["subject"] == f"{order.number} was rejected"


def test_a_password_reset_for_a_german_user_is_german(team, notify):
    speak(team["staff"], "de")

    # What the worker does for a reset request (the notifier's `issue_reset_links`), then the
    # link's mail it owes for the user's company.
    access.issue_reset_links(email=team["staff"].email, request_key="reset-in-german")
    notify()

    message = mail_to(team["staff"])
    assert message.subject == "Ledgerline: Passwort zurücksetzen"
    assert "Someone asked" not in message.body and "Passwort" in message.body
    assert "Tag" in message.body or "Stunde" in message.body  # the validity, in German


def test_a_german_user_in_two_groups_reads_both_roles_in_german_when_their_role_changes(
    team, notify
):
    """The log stores "Ops, Staff"; the mail names each role in German, text and HTML."""
    staff = speak(team["staff"], "de")
    staff.groups.add(Group.objects.get(name="Ops"))

    access.change_role(actor=team["manager"], user_id=staff.pk, role="Manager")
    notify()

    message = mail_to(staff)
    html, _ = message.alternatives[0]
    assert "von Betrieb, Mitarbeiter zu Manager geändert" in message.body
    assert "von <strong>Betrieb, Mitarbeiter</strong> zu <strong>Manager</strong>" in html
