"""Set-password mails go through the worker (docs/worker.md): the page owes the mail in its
transaction and answers; `manage.py run_worker`, a real process, sends it through a real SMTP
server (aiosmtpd) with Django's SMTP backend as .env configures it (issue #14 item 7, #24
item 10). Reset requests name only an address: the worker looks it up (PLATFORM items)."""

import re

import pytest

from accounts.models import Role
from outbox.models import OutboxItem
from tests import factories
from tests.outbox.processes import start_worker, stop, wait_for
from tests.outbox.smtp import Inbox

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_db"),
    pytest.mark.slow,
]

NEW_PASSWORD = "Another-long-passphrase-42"


@pytest.fixture
def inbox():
    server = Inbox()
    server.start()
    yield server
    server.stop()


def text_of(message) -> str:
    (text,) = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    return text.get_payload(decode=True).decode()


def link_in(message, path: str) -> str:
    return re.search(rf"https?://[^/\s]+({path}\S+/)", text_of(message)).group(1)


def sets_password(client, url: str) -> bool:
    form = client.get(url, follow=True)
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    return done.status_code == 302


def test_a_reset_asked_on_the_login_page_is_mailed_by_the_worker(client, staff, inbox):
    staff.email = "staff@acme.example"
    staff.save()

    asked = client.post("/accounts/password_reset/", {"email": "STAFF@acme.example"})
    unknown = client.post("/accounts/password_reset/", {"email": "nobody@acme.example"})
    assert (asked.status_code, asked["Location"]) == (unknown.status_code, unknown["Location"])
    assert inbox.messages == []  # the page answered without the mail server

    worker = start_worker(inbox.env())
    try:
        wait_for(lambda: inbox.messages, what="the reset mail")
        wait_for(
            lambda: OutboxItem.objects.filter(status="done").count() == 3,
            what="two requests and one mail recorded done",
        )
    finally:
        stop(worker)

    ((recipients, message),) = inbox.messages
    assert recipients == ["staff@acme.example"]
    assert message["Subject"] == "Ledgerline: reset your password"
    assert sets_password(client, link_in(message, "/accounts/reset/"))
    staff.refresh_from_db()
    assert staff.check_password(NEW_PASSWORD)


def test_an_invitation_from_the_team_page_is_mailed_by_the_worker(client, manager, inbox, settings):
    settings.EMAIL_HOST = "127.0.0.1"  # e-mail configured: the link is mailed, not shown
    factories.log_in(client, manager)
    added = client.post(
        "/team/",
        {
            "username": "peter",
            "first_name": "Peter",
            "last_name": "Pan",
            "email": "peter@acme.example",
            "role": Role.STAFF.value,
        },
        follow=True,
    )
    assert added.status_code == 200
    assert "/accounts/set-password/" not in added.content.decode()
    assert inbox.messages == []

    worker = start_worker(inbox.env())
    try:
        wait_for(lambda: inbox.messages, what="the invitation")
    finally:
        stop(worker)

    ((recipients, message),) = inbox.messages
    assert recipients == ["peter@acme.example"]
    assert message["Subject"] == "Ledgerline: set your password"
    assert "Your username is acme.peter" in text_of(message)
    assert sets_password(client, link_in(message, "/accounts/set-password/"))
