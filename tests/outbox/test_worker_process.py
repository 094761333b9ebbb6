"""The worker as real processes against the real test database (SQLite file or PostgreSQL),
mailing a real SMTP server: SIGKILL mid-send, two workers at once, the SMTP server down for a
while, SIGTERM. Counted at the server, per event id (X-Ledgerline-Event)."""

import signal

import pytest

from events.models import Event
from outbox.models import OutboxItem, WorkerHeartbeat
from tests import factories

from .processes import start_worker, stop, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_db"),
    pytest.mark.slow,
]


def event_ids() -> set[str]:
    return {str(pk) for pk in Event.objects.values_list("id", flat=True)}


def all_done() -> bool:
    items = OutboxItem.objects.filter(subscriber="test-mailer")
    return items.count() == Event.objects.count() and not items.exclude(status="done").exists()


def test_after_a_sigkill_mid_send_every_mail_arrives_and_none_twice(acme, staff, inbox):
    for _ in range(8):
        factories.place(staff)
    worker = start_worker(inbox.env(), test_mailer=True)
    inbox.kill_on = (4, worker.pid)  # the 4th mail: killed while waiting for the answer
    wait_for(lambda: worker.poll() is not None, timeout=60, what="the SIGKILL")
    assert worker.returncode == -signal.SIGKILL
    assert len(inbox.messages) == 3

    again = start_worker(inbox.env(), test_mailer=True)
    try:
        wait_for(lambda: inbox.count_by().keys() >= event_ids(), what="every mail")
        wait_for(all_done, what="every item recorded done")
    finally:
        stop(again)

    counts = inbox.count_by()
    assert set(counts) == event_ids()
    assert set(counts.values()) == {1}


def test_two_workers_at_once_send_each_mail_once(acme, globex, staff, globex_staff, inbox):
    for _ in range(6):
        factories.place(staff)
        factories.place(globex_staff)
    workers = [start_worker(inbox.env(), test_mailer=True) for _ in range(2)]
    try:
        wait_for(lambda: inbox.count_by().keys() >= event_ids(), what="every mail")
        wait_for(all_done, what="every item recorded done")
        factories.place(staff)  # while both run
        wait_for(lambda: inbox.count_by().keys() >= event_ids(), what="the new order's mail")
        wait_for(all_done, what="every item recorded done")
    finally:
        for worker in workers:
            stop(worker)

    assert set(inbox.count_by().values()) == {1}
    assert len(inbox.messages) == len(event_ids()) == 13


def test_mail_sent_while_the_smtp_server_is_down_arrives_when_it_is_back(acme, staff, inbox):
    inbox.stop()
    factories.place(staff)
    worker = start_worker(inbox.env(), test_mailer=True)
    try:
        wait_for(
            lambda: OutboxItem.objects.filter(attempts__gte=2, status="pending").exists(),
            what="failed attempts",
        )
        assert inbox.messages == []
        inbox.start()
        wait_for(lambda: inbox.count_by().keys() >= event_ids(), what="the mail after restart")
    finally:
        stop(worker)
    item = OutboxItem.objects.get()
    assert item.status == "done" and item.attempts >= 2


def test_past_the_retry_limit_the_mail_is_parked_with_its_reason(acme, staff, inbox):
    inbox.stop()
    factories.place(staff)
    worker = start_worker({**inbox.env(), "TEST_MAILER_MAX_ATTEMPTS": "3"}, test_mailer=True)
    try:
        wait_for(lambda: OutboxItem.objects.filter(status="parked").exists(), what="parking")
    finally:
        stop(worker)
    item = OutboxItem.objects.get()
    assert item.attempts == 3
    assert "ConnectionRefusedError" in item.last_error


def test_sigterm_stops_the_worker_cleanly_and_it_says_so(acme, staff, inbox):
    worker = start_worker(inbox.env(), test_mailer=True)
    wait_for(WorkerHeartbeat.objects.exists, what="the first heartbeat")
    factories.place(staff)
    wait_for(lambda: inbox.count_by().keys() >= event_ids(), what="the mail")

    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=30)

    assert worker.returncode == 0, err
    assert "stopped" in out
    assert WorkerHeartbeat.objects.get().stopped_at is not None
