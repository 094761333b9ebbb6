"""My settings, the ops desk's outbox section with its retry/skip actions, and the worker-sent
set-password mail."""

import re
import uuid

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Role
from events.models import Event
from notifications.models import NotificationPreference
from notifications.subscriber import Notifier
from outbox import engine
from outbox.models import OutboxItem, WorkerHeartbeat
from tests import factories

from .conftest import with_email

pytestmark = pytest.mark.django_db


def test_my_settings_offers_each_role_its_kinds_with_the_roles_defaults(client, acme, team):
    factories.log_in(client, team["manager"])
    page = client.get("/settings/").content.decode()
    assert 'data-kind="approval"' in page and 'data-kind="stuck"' in page
    assert re.search(r'name="approval" value="now"[^>]*checked', page)
    assert re.search(r'name="stuck" value="digest"[^>]*checked', page)

    factories.log_in(client, team["staff"])
    page = client.get("/settings/").content.decode()
    assert 'data-kind="approval"' not in page and 'data-kind="stuck"' not in page
    assert re.search(r'name="rejected_held" value="now"[^>]*checked', page)
    assert re.search(r'name="delivered_cancelled" value="never"[^>]*checked', page)


def test_saving_my_settings_keeps_my_choices_and_refuses_what_is_not_offered(client, acme, team):
    factories.log_in(client, team["staff"])

    saved = client.post(
        "/settings/", {"rejected_held": "digest", "delivered_cancelled": "now"}, follow=True
    )
    refused = client.post("/settings/", {"rejected_held": "sometimes"})

    assert saved.status_code == 200 and b"were saved" in saved.content
    assert dict(
        NotificationPreference.objects.filter(user=team["staff"]).values_list("kind", "choice")
    ) == {"rejected_held": "digest", "delivered_cancelled": "now"}
    assert refused.status_code == 400
    client.post("/settings/", {"approval": "never", "rejected_held": "now"})
    assert not NotificationPreference.objects.filter(kind="approval").exists()


def _parked(company, *, key="k1"):
    return OutboxItem.objects.create(
        subscriber="notifier",
        company_id=company.pk,
        key=key,
        position=1,
        summary="ACME-000001 waits for your approval → acme.manager (Manager)",
        status="parked",
        attempts=8,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        next_attempt_at="2026-12-06T10:00:00Z",
        created_at="2026-12-06T09:00:00Z",
        parked_at="2026-12-06T10:00:00Z",
    )


def test_the_ops_desk_shows_parked_mail_with_its_reason_and_a_silent_worker(client, acme, ops):
    item = _parked(acme)
    factories.log_in(client, ops)

    page = client.get("/ops/").content.decode()

    assert 'data-testid="worker-silent"' in page
    assert f'data-item="{item.pk}"' in page
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in page
    assert 'data-subscriber="notifier"' in page


def test_the_ops_desk_says_the_worker_runs_when_it_checked_in(client, acme, ops):
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker="host:1:abc", hostname="host", pid=1, started_at=now, seen_at=now
    )
    factories.log_in(client, ops)

    assert 'data-testid="worker-running"' in client.get("/ops/").content.decode()


def test_retry_and_skip_on_the_ops_desk_are_audited_events(client, acme, ops):
    retried, skipped = _parked(acme, key="a"), _parked(acme, key="b")
    factories.log_in(client, ops)

    client.post(f"/ops/outbox/{retried.pk}/retry/")
    client.post(f"/ops/outbox/{skipped.pk}/skip/")

    retried.refresh_from_db()
    skipped.refresh_from_db()
    assert (retried.status, retried.attempts) == ("pending", 0)
    assert skipped.status == "skipped"
    types = list(Event.objects.filter(company=acme).values_list("event_type", flat=True))
    assert types == ["OutboxItemRetried", "OutboxItemSkipped"]


def test_another_companys_parked_item_is_a_404_and_staff_get_a_403(client, acme, globex, staff):
    item = _parked(acme)
    for outsider in (factories.user(Role.OPS, globex), factories.user(Role.MANAGER, globex)):
        factories.log_in(client, outsider)
        assert client.post(f"/ops/outbox/{item.pk}/retry/").status_code == 404
    factories.log_in(client, staff)
    assert client.post(f"/ops/outbox/{item.pk}/skip/").status_code == 403
    item.refresh_from_db()
    assert item.status == "parked"


def test_a_queued_set_password_mail_is_sent_by_the_worker_with_a_working_link(client, acme, team):
    newcomer = with_email(factories.user(Role.STAFF, acme, username="acme.newcomer"))
    newcomer.set_unusable_password()
    newcomer.save()
    for _ in range(2):  # queued twice: the newer link voids the older, one mail goes out
        engine.enqueue(
            "notifier",
            company_id=acme.pk,
            key=f"password-link:{uuid.uuid4()}",
            data={"kind": "password_link", "user_id": str(newcomer.pk), "purpose": "invitation"},
            stream_id=newcomer.pk,
        )
    engine.run_company(Notifier(), acme.pk)

    (message,) = mail.outbox
    assert message.to == ["acme.newcomer@example.com"]
    assert message.subject == "Ledgerline: set your password"
    url = re.search(r"http://127\.0\.0\.1:8000(/\S+)", message.body).group(1)
    assert client.get(url, follow=True).status_code == 200
    assert OutboxItem.objects.filter(status="done").count() == 2
