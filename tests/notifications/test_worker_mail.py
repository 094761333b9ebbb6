"""`manage.py run_worker` as a real process with the real notifier, mailing a real SMTP server
(aiosmtpd), on the test database (SQLite file or PostgreSQL): the issue's "done when"."""

import collections
import signal

import pytest
from django.utils import timezone

from accounts.models import Role
from events.models import Event
from orders import commands
from outbox.models import OutboxItem, Subscription
from tests import factories
from tests.outbox.processes import start_worker, stop, wait_for

from .conftest import with_email

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_db"),
    pytest.mark.slow,
]


@pytest.fixture
def people(acme):
    Subscription.objects.create(name="notifier", head_at_start=0, created_at=timezone.now())
    return {
        "staff": with_email(factories.user(Role.STAFF, acme)),
        "managers": [
            with_email(factories.user(Role.MANAGER, acme, username=f"acme.manager{i}"))
            for i in range(2)
        ],
    }


def submit(staff):
    order = factories.place(staff)
    return commands.submit(order.id, actor=staff, expected_version=order.version)


def per_mail(inbox):
    return collections.Counter(
        (message["X-Ledgerline-Event"], tuple(rcpt)) for rcpt, message in list(inbox.messages)
    )


def test_a_submitted_order_reaches_the_managers_by_smtp_within_seconds(acme, people, inbox):
    worker = start_worker(inbox.env())
    try:
        order = submit(people["staff"])
        wait_for(lambda: len(inbox.messages) >= 2, timeout=30, what="the managers' mails")
        wait_for(
            lambda: OutboxItem.objects.filter(stream_id=order.id, status="done").count() == 2,
            what="their done records",
        )
    finally:
        stop(worker)

    submitted = Event.objects.get(stream_id=order.id, event_type="OrderSubmitted")
    assert per_mail(inbox) == {
        (str(submitted.id), ("acme.manager0@example.com",)): 1,
        (str(submitted.id), ("acme.manager1@example.com",)): 1,
    }
    _, message = inbox.messages[0]
    assert message["Subject"] == f"Ledgerline: {order.number} waits for your approval"
    assert message.is_multipart()  # text and HTML
    assert OutboxItem.objects.filter(stream_id=order.id, status="done").count() == 2


def test_sigkill_while_mailing_then_restart_delivers_each_mail_once(acme, people, inbox):
    orders = [submit(people["staff"]) for _ in range(6)]  # 12 mails
    worker = start_worker(inbox.env())
    inbox.kill_on = (5, worker.pid)
    wait_for(lambda: worker.poll() is not None, what="the SIGKILL")
    assert worker.returncode == -signal.SIGKILL

    again = start_worker(inbox.env())
    try:
        wait_for(lambda: len(per_mail(inbox)) >= 12, what="every mail")
        wait_for(
            lambda: OutboxItem.objects.filter(status="done").count() == 12, what="done records"
        )
    finally:
        stop(again)

    assert len(orders) == 6
    assert set(per_mail(inbox).values()) == {1}
    assert len(inbox.messages) == 12


def test_past_the_retry_limit_a_mail_is_parked_and_shown_on_the_ops_desk(
    client, acme, people, inbox
):
    inbox.stop()
    worker = start_worker(
        {**inbox.env(), "NOTIFY_MAX_ATTEMPTS": "2", "NOTIFY_RETRY_FIRST_SECONDS": "0.2"}
    )
    try:
        submit(people["staff"])
        wait_for(lambda: OutboxItem.objects.filter(status="parked").count() == 2, what="two parked")
    finally:
        stop(worker)
    factories.log_in(client, factories.user(Role.OPS, acme))

    page = client.get("/ops/").content.decode()

    assert page.count('<tr data-item="') == 2
    assert "ConnectionRefusedError" in page
