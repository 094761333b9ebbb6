"""The reset mail really leaves through SMTP: Django's SMTP backend, configured as .env does,
talks to a local SMTP server (aiosmtpd) on a real socket (issue #14 item 7)."""

import re
import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from common import background

# The request hands the address to the background worker (its own connection): real commits.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_db")]


class Inbox:
    """aiosmtpd handler keeping each message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.original_content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def test_the_reset_mail_is_delivered_by_smtp(client, staff, settings, smtp_server):
    port, inbox = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    staff.email = "staff@acme.example"
    staff.save()

    response = client.post("/accounts/password_reset/", {"email": staff.email})
    background.wait_idle()

    assert response.status_code == 302
    ((recipients, message),) = inbox.messages
    assert recipients == ["staff@acme.example"]
    assert message["Subject"] == "Ledgerline: reset your password"
    assert re.search(
        r"http://testserver/accounts/reset/\S+/", message.get_payload(decode=True).decode()
    )
