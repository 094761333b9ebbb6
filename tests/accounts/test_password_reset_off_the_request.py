"""Issue #24 items 10, 11 and 22.

10. The password-reset request answers the same way, doing the same work, for a known and an
    unknown address: the lookup and the mail happen off the request path (after commit, on a
    bounded background worker: `common.background`), so the answer never waits for the mail
    server (a real SMTP server that holds its answer shows it).
11. A user who never set a password (an invitation that expired) gets a new invitation from
    the login page, and an operator can issue one: `manage.py issue_password_link`.
22. The mails state the link's validity properly (PASSWORD_RESET_TIMEOUT is 60 minutes).
"""

import datetime as dt
import io
import re
import socket
import threading
from email import message_from_bytes
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import commands
from accounts.models import Role
from accounts.tokens import PasswordLinkTokenGenerator
from common import background
from events.models import Event
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_db")]

PASSWORD = "Another-long-passphrase-42"


def ask_reset(client, email: str):
    return client.post("/accounts/password_reset/", {"email": email})


def sql_shapes(queries) -> list[str]:
    return [re.sub(r"'[^']*'", "?", q["sql"]) for q in queries.captured_queries]


def link_in(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/(?:reset|set-password)/\S+/)", body).group(1)


def sets_password(client, url: str) -> bool:
    form = client.get(url, follow=True)
    if not form.context["validlink"]:
        return False
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    return done.status_code == 302


@pytest.fixture
def staff_with_address(acme):
    staff = factories.user(Role.STAFF, acme)
    staff.email = "staff@acme.example"
    staff.save()
    return staff


def test_known_and_unknown_addresses_get_the_same_answer_from_the_same_work(
    client, staff_with_address
):
    with CaptureQueriesContext(connection) as known_queries:
        known = ask_reset(client, "staff@acme.example")
    with CaptureQueriesContext(connection) as unknown_queries:
        unknown = ask_reset(client, "nobody@acme.example")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert sql_shapes(known_queries) == sql_shapes(unknown_queries)
    assert not any("accounts_user" in sql for sql in sql_shapes(known_queries))
    background.wait_idle()
    (message,) = mail.outbox
    assert message.to == ["staff@acme.example"]


class HeldInbox:
    """An SMTP handler that does not answer a message until `release` is set."""

    def __init__(self):
        self.release = threading.Event()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.release.wait(timeout=60)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.original_content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def held_smtp(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = HeldInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 90  # longer than the test waits: a blocked send cannot time out
    yield inbox
    inbox.release.set()
    background.wait_idle()
    controller.stop()


def test_the_answer_does_not_wait_for_the_mail_server(client, staff_with_address, held_smtp):
    answered = threading.Event()

    def request():
        ask_reset(client, "staff@acme.example")
        answered.set()

    thread = threading.Thread(target=request)
    thread.start()
    # Not a timing assertion: the mail server holds its answer until released, so a request
    # that sent the mail itself could not finish at all.
    assert answered.wait(timeout=30), "the request waited for the mail server"
    thread.join()
    assert held_smtp.messages == []
    held_smtp.release.set()
    background.wait_idle()
    ((recipients, message),) = held_smtp.messages
    assert recipients == ["staff@acme.example"]
    assert "/accounts/reset/" in message.get_payload(decode=True).decode()


def test_a_user_whose_invitation_expired_gets_a_new_one_from_the_login_page(client, manager):
    first = commands.add_user(
        actor=manager,
        username="acme.peter",
        first_name="",
        last_name="",
        email="peter@acme.test",
        role="Staff",
    ).url
    later = dt.datetime.now() + dt.timedelta(minutes=61)
    with mock.patch.object(PasswordLinkTokenGenerator, "_now", return_value=later):
        assert not client.get(first, follow=True).context["validlink"]  # expired

        ask_reset(client, "peter@acme.test")
        background.wait_idle()
        (message,) = mail.outbox
        assert message.to == ["peter@acme.test"]
        assert "Your username is acme.peter" in message.body
        assert sets_password(client, link_in(message.body))
    assert Event.objects.filter(event_type="PasswordLinkIssued").count() == 2


def test_a_reset_voids_the_earlier_links(client, manager):
    peter = commands.add_user(
        actor=manager,
        username="acme.peter",
        first_name="",
        last_name="",
        email="peter@acme.test",
        role="Staff",
    )
    ask_reset(client, "peter@acme.test")
    background.wait_idle()

    assert not client.get(peter.url, follow=True).context["validlink"]
    assert sets_password(client, link_in(mail.outbox[0].body))


def test_a_deactivated_user_gets_no_link(client, manager, staff_with_address):
    commands.deactivate_user(actor=manager, user_id=staff_with_address.pk)

    ask_reset(client, "staff@acme.example")
    background.wait_idle()

    assert mail.outbox == []


@pytest.mark.parametrize(
    ("minutes", "said"), [(60, "1 hour"), (90, "1 hour, 30 minutes"), (2880, "2 days")]
)
def test_the_mails_say_how_long_the_link_works(
    client, manager, staff_with_address, settings, minutes, said
):
    settings.PASSWORD_RESET_TIMEOUT = minutes * 60
    settings.EMAIL_HOST = "smtp.example.test"
    commands.add_user(
        actor=manager,
        username="acme.peter",
        first_name="",
        last_name="",
        email="peter@acme.test",
        role="Staff",
    )
    ask_reset(client, "staff@acme.example")
    background.wait_idle()

    invitation, reset = mail.outbox
    assert f"for {said}" in invitation.body
    assert f"for {said}" in reset.body
    assert "0 days" not in invitation.body + reset.body


def test_an_operator_issues_a_new_invitation_with_a_command(client, manager):
    commands.add_user(
        actor=manager,
        username="acme.peter",
        first_name="",
        last_name="",
        email="peter@acme.test",
        role="Staff",
    )
    out = io.StringIO()

    call_command("issue_password_link", "--company", "acme", "--username", "acme.peter", stdout=out)

    assert "acme.peter" in out.getvalue()
    assert sets_password(client, re.search(r"(/accounts/set-password/\S+/)", out.getvalue())[1])


def test_the_command_never_shows_a_link_for_a_user_who_has_a_password(staff_with_address):
    with pytest.raises(CommandError, match="already has a password"):
        call_command(
            "issue_password_link", "--company", "acme", "--username", staff_with_address.username
        )
    with pytest.raises(CommandError, match="no active user"):
        call_command("issue_password_link", "--company", "globex", "--username", "acme.staff")
