"""The log is append-only: in the ORM, in the database (triggers) and in the admin."""

import uuid

import pytest
from django.contrib.admin.sites import site
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from events.exceptions import AppendOnlyError
from events.models import Event, IntegrityCheck
from tests.events.conftest import append_counted
from tests.vendor import postgres_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(acme):
    """Three stored events in one stream; returns their rows as stored."""
    append_counted(uuid.uuid4(), 0, 1, 2, 3, company=acme)
    return list(Event.objects.order_by("position"))


def unchanged(rows) -> bool:
    stored = list(Event.objects.order_by("position").values_list("id", "payload", "hash"))
    return stored == [(row.id, row.payload, row.hash) for row in rows]


# --- the ORM --------------------------------------------------------------------------------


def test_saving_a_stored_event_is_refused(log):
    event = Event.objects.get(position=2)
    event.payload = {"n": 200}

    with pytest.raises(AppendOnlyError, match="append-only: events cannot be changed"):
        event.save()

    assert unchanged(log)


def test_deleting_a_stored_event_is_refused(log):
    with pytest.raises(AppendOnlyError, match="cannot be deleted"):
        Event.objects.get(position=2).delete()

    assert unchanged(log)


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda qs: qs.update(payload={"n": 0}), id="update"),
        pytest.param(lambda qs: qs.delete(), id="delete"),
        pytest.param(lambda qs: qs._raw_delete(qs.db), id="raw-delete"),
        pytest.param(lambda qs: qs.bulk_update(list(qs), ["payload"]), id="bulk-update"),
        pytest.param(
            lambda qs: qs.update_or_create(pk=qs[0].pk, defaults={"version": 9}),
            id="update-or-create",
        ),
    ],
)
def test_queryset_writes_to_stored_events_are_refused(log, write):
    with pytest.raises(AppendOnlyError):
        write(Event.objects.filter(position__gte=2))

    assert unchanged(log)


def test_the_manager_refuses_bulk_writes_too(log):
    with pytest.raises(AppendOnlyError):
        Event.objects.update(version=1)
    with pytest.raises(AppendOnlyError):
        Event.objects.all().delete()

    assert unchanged(log)


# --- the database ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("UPDATE events_event SET payload = '{\"n\": 0}' WHERE position = 2", "UPDATE refused"),
        ("UPDATE events_event SET position = position + 100", "UPDATE refused"),
        ("DELETE FROM events_event WHERE position = 2", "DELETE refused"),
        ("DELETE FROM events_event", "DELETE refused"),
    ],
    ids=["update-one", "update-all", "delete-one", "delete-all"],
)
def test_raw_sql_that_changes_or_removes_events_is_refused_by_the_database(log, sql, refusal):
    # The same error class on both databases: SQLite reports RAISE(ABORT) in a trigger as a
    # constraint failure, the PostgreSQL trigger raises SQLSTATE 23001 (restrict_violation).
    with (
        pytest.raises(IntegrityError, match=refusal),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert unchanged(log)


@postgres_only("SQLite has no TRUNCATE (its DELETE trigger covers an unqualified DELETE)")
def test_truncating_the_event_log_is_refused_by_the_database(log):
    with connection.cursor() as cursor:  # the test's own foreign-key checks, pending till now
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(IntegrityError, match="TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE events_event")

    assert unchanged(log)


def test_the_database_still_accepts_new_events_behind_the_orm(log, acme):
    # Inserts must stay possible: the triggers guard UPDATE and DELETE only.
    append_counted(uuid.uuid4(), 0, 4, company=acme)

    assert Event.objects.count() == 4


# --- the admin ------------------------------------------------------------------------------


def test_a_superuser_can_browse_the_event_log_in_the_admin(log, admin_client):
    response = admin_client.get(reverse("admin:events_event_changelist"))

    assert response.status_code == 200
    assert "delete_selected" not in response.content.decode()


@pytest.mark.parametrize("model", [Event, IntegrityCheck], ids=["event", "integrity-check"])
def test_the_admin_grants_no_add_change_or_delete_even_to_a_superuser(model, rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    model_admin = site._registry[model]

    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_admin_add_page_is_forbidden(admin_client):
    response = admin_client.get(reverse("admin:events_event_add"))

    assert response.status_code == 403


def test_the_admin_change_page_is_read_only_and_refuses_a_post(log, admin_client):
    event = log[1]
    url = reverse("admin:events_event_change", args=[event.pk])

    page = admin_client.get(url)
    posted = admin_client.post(url, {"event_type": "Forged", "version": 7})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert posted.status_code == 403
    assert unchanged(log)


def test_the_admin_delete_page_is_forbidden(log, admin_client):
    url = reverse("admin:events_event_delete", args=[log[1].pk])

    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert unchanged(log)


def test_the_admin_bulk_delete_action_is_refused(log, admin_client):
    response = admin_client.post(
        reverse("admin:events_event_changelist"),
        {
            "action": "delete_selected",
            "post": "yes",
            "_selected_action": [str(row.pk) for row in log],
        },
    )

    # No action is offered at all, so the POST just shows the list again.
    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert unchanged(log)
