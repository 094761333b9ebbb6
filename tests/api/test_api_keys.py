"""API keys: made by a Manager on the page beside the team or by ops with a command, shown
once, stored hashed, revocable, each change an access event, last use recorded."""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import ApiKey
from events.models import Event
from tests import factories
from tests.api.helpers import ApiClient, order_body

pytestmark = pytest.mark.django_db


def test_manager_creates_a_key_shown_once_and_stored_hashed(client, manager):
    factories.log_in(client, manager)
    response = client.post("/team/api-keys/", {"name": "web shop", "role": "Staff"})
    assert response.status_code == 200
    secret = response.context["issued"].secret
    assert secret in response.content.decode() and response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(name="web shop")
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiKey.objects.values()))
    assert secret not in client.get("/team/api-keys/").content.decode()
    event = Event.objects.get(event_type="ApiKeyCreated")
    assert event.payload == {"name": "web shop", "role": "Staff", "prefix": key.prefix}
    assert event.metadata["actor_username"] == manager.username


def test_key_is_not_a_team_member_and_cannot_log_in(client, manager):
    factories.log_in(client, manager)
    client.post("/team/api-keys/", {"name": "erp", "role": "Manager"})
    user = ApiKey.objects.get(name="erp").user
    assert not user.has_usable_password()
    assert user.username not in client.get("/team/").content.decode()
    # A key holding the Manager role does not count as the company's other Manager.
    response = client.post(f"/team/{manager.pk}/role/", {"role": "Staff", "confirmed": "yes"})
    assert response.status_code == 422


def test_revoking_is_an_access_event_and_the_key_stops_working(client, manager):
    factories.log_in(client, manager)
    secret = (
        client.post("/team/api-keys/", {"name": "wms", "role": "Staff"}).context["issued"].secret
    )
    api = ApiClient(secret)
    assert api.get("/api/v1/orders").status_code == 200
    assert ApiKey.objects.get(name="wms").last_used_at is not None
    key = ApiKey.objects.get(name="wms")
    assert client.post(f"/team/api-keys/{key.pk}/revoke/").status_code == 302
    assert api.get("/api/v1/orders").status_code == 401
    assert Event.objects.filter(event_type="ApiKeyRevoked", stream_id=key.user_id).exists()


def test_staff_may_not_manage_keys_and_another_companys_key_is_404(
    client, staff, globex_manager, manager
):
    factories.log_in(client, staff)
    assert client.get("/team/api-keys/").status_code == 403
    factories.log_in(client, globex_manager)
    client.post("/team/api-keys/", {"name": "theirs", "role": "Staff"})
    theirs = ApiKey.objects.get(name="theirs")
    factories.log_in(client, manager)
    assert client.post(f"/team/api-keys/{theirs.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None


def test_create_api_key_command_prints_the_key_once(acme, capsys):
    call_command("create_api_key", company="acme", role="Staff", name="shop")
    secret = capsys.readouterr().out.strip()
    assert ApiClient(secret).get("/api/v1/orders").status_code == 200
    event = Event.objects.get(event_type="ApiKeyCreated")
    assert event.metadata["actor_username"] == "system"
    with pytest.raises(CommandError, match="already a key named 'shop'"):
        call_command("create_api_key", company="acme", role="Staff", name="shop")
    with pytest.raises(CommandError, match="No company"):
        call_command("create_api_key", company="nope", role="Staff", name="x")


def test_key_actions_show_in_the_audit_log_as_the_keys_name(client, manager, acme, capsys):
    call_command("create_api_key", company="acme", role="Staff", name="shop")
    secret = capsys.readouterr().out.strip()
    assert ApiClient(secret).post("/api/v1/orders", order_body()).status_code == 201
    factories.log_in(client, manager)
    page = client.get("/audit/").content.decode()
    assert "shop (API key)" in page
