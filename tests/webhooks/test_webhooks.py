"""Webhook rules, driven round by round through the outbox engine with an injected clock,
delivering to a real receiver process: order per endpoint, back-off, 410, failing after the
retry period with the Managers told, resume on re-enable; URL safety; access events; tenancy
and roles on the pages and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from accounts.models import Role
from events.models import Event
from outbox import engine
from tests import factories
from tests.api.helpers import ApiClient, api_key
from tests.outbox.subscribers import Clock
from webhooks import commands
from webhooks.exceptions import InvalidEndpoint
from webhooks.models import DeliveryAttempt, WebhookEndpoint
from webhooks.subscriber import WebhookSender

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    return Clock(dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC))


@pytest.fixture
def sender(clock):
    return WebhookSender(clock=clock)


def registered(manager, receiver, event_types=("OrderPlaced",)):
    created = commands.create_endpoint(actor=manager, url=receiver.url, event_types=event_types)
    receiver.secret = created.secret
    receiver.start()
    return created.endpoint


def run(sender, company, clock, rounds: int = 1) -> None:
    for _ in range(rounds):
        engine.run_company(sender, company.pk, now=clock)


def attempted_numbers(endpoint) -> list[int]:
    return list(
        DeliveryAttempt.objects.filter(endpoint=endpoint)
        .order_by("attempted_at", "event_number")
        .values_list("event_number", flat=True)
    )


def test_a_failing_event_holds_back_later_ones_for_that_endpoint_only(
    acme, staff, manager, receiver, another_receiver, sender, clock
):
    down = registered(manager, receiver)
    up = registered(manager, another_receiver)
    factories.place(staff)
    factories.place(staff)
    receiver.answer(503)
    run(sender, acme, clock, rounds=3)
    first = attempted_numbers(down)[0]
    assert set(attempted_numbers(down)) == {first}  # the second order waits behind the first
    assert [e["number"] for e in another_receiver.entries()] == [first, first + 1]
    receiver.answer(None)
    clock.advance(hours=2)
    run(sender, acme, clock, rounds=2)
    assert [e["number"] for e in receiver.entries()] == [first, first + 1]
    assert all(e["verified"] for e in receiver.entries())
    assert WebhookEndpoint.objects.get(pk=down.pk).failing_since is None
    assert up.pk != down.pk


def test_retries_back_off_exponentially_with_jitter(sender, settings):
    settings.WEBHOOK_BACKOFF_BASE = dt.timedelta(seconds=10)
    settings.WEBHOOK_BACKOFF_MAX = dt.timedelta(hours=1)
    waits = [sender.backoff(n) for n in range(1, 12)]
    assert dt.timedelta(seconds=5) <= waits[0] <= dt.timedelta(seconds=10)
    assert dt.timedelta(seconds=40) <= waits[3] <= dt.timedelta(seconds=80)
    assert all(wait <= dt.timedelta(hours=1) for wait in waits)
    assert len({sender.backoff(5) for _ in range(20)}) > 1  # jittered


def test_410_gone_disables_the_endpoint_and_keeps_the_event(
    acme, staff, manager, receiver, sender, clock
):
    endpoint = registered(manager, receiver)
    factories.place(staff)
    receiver.answer(410)
    run(sender, acme, clock)
    endpoint.refresh_from_db()
    assert endpoint.status == "disabled" and "410" in endpoint.status_reason
    disabled = Event.objects.get(event_type="WebhookEndpointDisabled")
    assert disabled.metadata["actor_username"] == "system"
    receiver.answer(None)
    commands.enable_endpoint(actor=manager, endpoint_id=endpoint.pk, now=clock())
    run(sender, acme, clock)
    assert [e["type"] for e in receiver.entries()] == ["OrderPlaced"]


def test_after_three_days_of_failures_the_endpoint_is_failing_managers_told_then_resumes(
    acme, staff, manager, receiver, sender, clock
):
    manager.email = "boss@acme.example"
    manager.save()
    endpoint = registered(manager, receiver)
    factories.place(staff)
    factories.place(staff)
    receiver.answer(503)
    run(sender, acme, clock)
    for _ in range(40):  # hourly at most: three days pass
        clock.advance(hours=2)
        run(sender, acme, clock)
    endpoint.refresh_from_db()
    assert endpoint.status == "failing"
    assert [m.to for m in mail.outbox] == [["boss@acme.example"]]
    tried = DeliveryAttempt.objects.filter(endpoint=endpoint).count()
    clock.advance(hours=2)
    run(sender, acme, clock)
    assert DeliveryAttempt.objects.filter(endpoint=endpoint).count() == tried  # held, not sent
    receiver.answer(None)
    commands.enable_endpoint(actor=manager, endpoint_id=endpoint.pk, now=clock())
    run(sender, acme, clock, rounds=2)
    numbers = [e["number"] for e in receiver.entries()]
    assert len(numbers) == 2 and numbers == sorted(numbers)


def test_urls_must_be_https_and_public_unless_settings_allow(manager, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    cases = {
        "http://example.com/hook": "must start with https://",
        "https://127.0.0.1/hook": "loopback",
        "https://localhost/hook": "loopback",
        "https://10.1.2.3/hook": "private",
        "https://192.168.0.10/hook": "private",
        "https://169.254.169.254/latest": "link-local",
        "https://[::1]/hook": "loopback",
        "https://user:pw@93.184.215.14/hook": "user name or password",
    }
    for url, words in cases.items():
        with pytest.raises(InvalidEndpoint, match=words):
            commands.create_endpoint(actor=manager, url=url)
    settings.WEBHOOK_ALLOW_PRIVATE = True
    commands.create_endpoint(actor=manager, url="https://10.1.2.3/hook")
    with pytest.raises(InvalidEndpoint, match="link-local"):
        commands.create_endpoint(actor=manager, url="https://169.254.169.254/x")
    assert WebhookEndpoint.objects.count() == 1


def test_every_change_is_an_access_event(manager, receiver):
    endpoint = commands.create_endpoint(actor=manager, url=receiver.url).endpoint
    commands.change_endpoint(
        actor=manager, endpoint_id=endpoint.pk, url=receiver.url, event_types=["OrderShipped"]
    )
    commands.disable_endpoint(actor=manager, endpoint_id=endpoint.pk)
    commands.enable_endpoint(actor=manager, endpoint_id=endpoint.pk)
    commands.retry_now(actor=manager, endpoint_id=endpoint.pk)
    commands.replay(actor=manager, endpoint_id=endpoint.pk, from_number=1)
    events = Event.objects.filter(stream_id=endpoint.pk).order_by("version")
    assert [e.event_type for e in events] == [
        "WebhookEndpointCreated",
        "WebhookEndpointChanged",
        "WebhookEndpointDisabled",
        "WebhookEndpointEnabled",
        "WebhookRetriedNow",
        "WebhookReplayed",
    ]
    assert {e.metadata["actor_username"] for e in events} == {manager.username}
    assert all("whsec_" not in str(e.payload) for e in events)


def test_integrations_page_shows_the_secret_once(client, manager, receiver):
    factories.log_in(client, manager)
    response = client.post("/integrations/", {"url": receiver.url, "event_types": ["OrderPlaced"]})
    assert response.status_code == 200
    secret = response.context["created"].secret
    assert secret.startswith("whsec_") and secret in response.content.decode()
    assert secret not in client.get("/integrations/").content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert secret not in endpoint.secret_encrypted
    page = client.get(f"/integrations/{endpoint.pk}/")
    assert page.status_code == 200 and secret not in page.content.decode()


def test_pages_staff_403_and_another_companys_endpoint_404(
    client, staff, manager, globex_manager, receiver
):
    endpoint = commands.create_endpoint(actor=globex_manager, url=receiver.url).endpoint
    factories.log_in(client, staff)
    assert client.get("/integrations/").status_code == 403
    factories.log_in(client, manager)
    base = f"/integrations/{endpoint.pk}/"
    assert client.get(base).status_code == 404
    for action in ("enable/", "disable/", "retry/", "replay/", ""):
        assert client.post(base + action, {"from_number": 1}).status_code == 404, action
    assert Event.objects.filter(stream_id=endpoint.pk).count() == 1


def test_api_manager_key_registers_and_others_may_not(acme, globex, receiver):
    boss = ApiClient(api_key(acme, Role.MANAGER))
    response = boss.post("/api/v1/webhooks", {"url": receiver.url, "event_types": ["OrderPlaced"]})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_")
    listed = boss.get("/api/v1/webhooks").json()
    assert "secret" not in listed[0]
    endpoint_url = f"/api/v1/webhooks/{created['id']}"
    assert ApiClient(api_key(acme, Role.STAFF)).get(endpoint_url).status_code == 403
    outsider = ApiClient(api_key(globex, Role.MANAGER))
    for path in ("", "/enable", "/disable", "/retry", "/replay", "/deliveries"):
        method = outsider.get if path in ("", "/deliveries") else outsider.post
        assert method(endpoint_url + path).status_code == 404, path
    assert boss.post(endpoint_url + "/replay", {"from_number": 1}).json()["count"] >= 0
    bad = boss.post("/api/v1/webhooks", {"url": "ftp://x"})
    assert bad.status_code == 422 and "url" in bad.json()["errors"]


def test_another_companys_events_never_reach_an_endpoint(
    acme, globex, staff, globex_staff, manager, receiver, sender, clock
):
    endpoint = registered(manager, receiver, event_types=())
    factories.place(globex_staff)
    factories.place(staff)
    run(sender, globex, clock)
    run(sender, acme, clock)
    received = {e["id"] for e in receiver.entries()}
    acme_events = {
        str(pk)
        for pk in Event.objects.filter(
            company=acme, position__gt=endpoint.start_position
        ).values_list("id", flat=True)
    }
    assert received == acme_events
    assert not Event.objects.filter(company=globex, id__in=received).exists()


def test_a_staff_user_and_a_staff_key_are_told_about_webhooks_not_the_team(client, acme, staff):
    """QA finding: both were told "Your role may not manage the team"."""

    factories.log_in(client, staff)
    page = client.get("/integrations/")
    assert page.status_code == 403
    assert "may not manage webhooks" in page.content.decode()
    assert "the team" not in page.content.decode()

    api = ApiClient(api_key(acme, "Staff"))
    answer = api.get("/api/v1/webhooks")
    assert answer.status_code == 403
    assert answer.json()["detail"] == "Your role may not manage webhooks: ask a Manager."


def test_the_log_before_the_first_endpoint_is_passed_over_in_one_step(
    acme, staff, manager, receiver, sender, clock, django_assert_max_num_queries
):
    """The sender starts at the log's beginning; on an install with a long log and no endpoint
    yet it walked every event (four statements each) before the worker's other subscribers got
    their turn. Now the checkpoint jumps to the head in one step, whatever the log's length."""
    from events.store import head_position
    from outbox.models import SubscriberCheckpoint

    sender.batch_size = 3  # a walk would stop after three events
    for _ in range(4):
        factories.place(staff)
    with django_assert_max_num_queries(16):  # savepoints included; none per event
        run(sender, acme, clock)
    checkpoint = SubscriberCheckpoint.objects.get(subscriber=sender.name, company_id=acme.pk)
    assert checkpoint.position == head_position()

    endpoint = registered(manager, receiver)
    factories.place(staff)
    run(sender, acme, clock, rounds=2)
    placed = Event.objects.filter(
        company=acme, event_type="OrderPlaced", position__gt=endpoint.start_position
    ).values_list("id", flat=True)
    assert [e["id"] for e in receiver.entries()] == [str(pk) for pk in placed]
    assert len(placed) == 1


def test_an_endpoint_registered_before_the_sender_first_ran_is_owed_what_followed_it(
    acme, staff, manager, receiver, sender, clock
):
    factories.place(staff)
    factories.place(staff)
    endpoint = registered(manager, receiver)
    factories.place(staff)
    factories.place(staff)
    run(sender, acme, clock, rounds=2)
    owed = Event.objects.filter(
        company=acme, event_type="OrderPlaced", position__gt=endpoint.start_position
    ).order_by("position")
    assert [e["id"] for e in receiver.entries()] == [
        str(pk) for pk in owed.values_list("id", flat=True)
    ]
    assert owed.count() == 2
