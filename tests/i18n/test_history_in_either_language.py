"""The same events read in English for an English user and in German for a German user: the
log stores facts, never words of a language; labels and summaries are made when shown."""

import json

import pytest

from accounts.models import Role, User
from events.models import Event
from orders import commands
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(acme):
    staff, manager = factories.user(Role.STAFF, acme), factories.user(Role.MANAGER, acme)
    order = factories.advance(factories.place(staff), "submitted", staff=staff, manager=manager)
    order = commands.reject(
        order.id, reason="Preise prüfen", actor=manager, expected_version=order.version
    )
    order = commands.submit(order.id, actor=staff, expected_version=order.version)
    order = commands.approve(order.id, actor=manager, expected_version=order.version)
    order = commands.hold(order.id, reason="Lager", actor=staff, expected_version=order.version)
    return order, staff, manager


def page(client, user, language: str, path: str) -> str:
    User.objects.filter(pk=user.pk).update(language=language)
    factories.log_in(client, user)
    return client.get(path).content.decode()


def test_an_orders_history_reads_in_english_and_in_german(client, history):
    order, _, manager = history
    path = f"/orders/{order.id}/history/"

    english = page(client, manager, "en", path)
    german = page(client, manager, "de", path)

    for words in (">Submitted for approval<", ">Rejected<", ">Put on hold<", "Draft → Submitted"):
        assert words in english
        assert words not in german
    for words in (
        ">Zur Freigabe eingereicht<",
        ">Abgelehnt<",
        ">Zurückgestellt<",
        "Entwurf → Eingereicht",
    ):
        assert words in german
    assert "(reason: Preise prüfen)" in english and "(Begründung: Preise prüfen)" in german
    assert "Regelwerk v0: jeder Betrag: ein Manager" in german
    assert "policy v0: any amount: one Manager" in english


def test_the_event_log_reads_in_english_and_in_german(client, history):
    _, _, manager = history

    english = page(client, manager, "en", "/audit/")
    german = page(client, manager, "de", "/audit/")

    assert "Submitted for approval" in english and "Zur Freigabe eingereicht" in german
    assert "Reason:</span> Lager" in english and "Begründung:</span> Lager" in german


def test_the_log_itself_holds_no_words_of_either_language(history, client):
    order, _, manager = history
    page(client, manager, "de", f"/orders/{order.id}/history/")  # a German user read it

    stored = json.dumps([[e.payload, e.metadata] for e in Event.objects.all()])

    for word in ("Eingereicht", "Freigabe", "Abgelehnt", "Begründung", "Submitted for approval"):
        assert word not in stored
    assert "any amount: one Manager" in stored  # the rule, recorded in the code's words
