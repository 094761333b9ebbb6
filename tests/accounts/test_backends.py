"""The authentication backend: company, role and permissions cached per process, never stale."""

import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import backends
from accounts.models import AccessVersion, Role, User
from tests.factories import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    backends.forget_cached_access()
    yield
    backends.forget_cached_access()


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


def view_order() -> Permission:
    return Permission.objects.get(content_type__app_label="orders", codename="view_order")


def test_role_and_permissions_are_read_once_per_process_then_cached(client, staff):
    log_in(client, staff)

    first = queries_for(client, "/orders/")
    second = queries_for(client, "/orders/")

    assert first == second + 3  # the user's groups, user permissions, group permissions


def test_a_permission_taken_from_a_role_applies_on_the_next_request(client, staff):
    log_in(client, staff)
    assert client.get("/orders/").status_code == 200

    Group.objects.get(name=Role.STAFF.value).permissions.remove(view_order())

    assert client.get("/orders/").status_code == 403


def test_a_user_moved_to_another_role_gets_its_permissions_on_the_next_request(client, auditor):
    log_in(client, auditor)
    assert client.get("/orders/new/").status_code == 403

    auditor.groups.set([Group.objects.get(name=Role.STAFF.value)])

    assert client.get("/orders/new/").status_code == 200
    assert "Staff</span>" in client.get("/orders/").content.decode()


def test_a_change_committed_by_another_process_is_seen_through_the_version(client, staff):
    """No signal fires here (plain SQL, as another process's change looks to this one); what
    counts is that whoever changes access changes the version in the same transaction."""
    log_in(client, staff)
    assert client.get("/orders/").status_code == 200

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM auth_group_permissions WHERE permission_id = %s", [view_order().pk]
        )
        cursor.execute("UPDATE accounts_accessversion SET value = value + 1")

    assert client.get("/orders/").status_code == 403


def test_every_change_to_roles_or_permissions_changes_the_version(staff):
    staff_group = Group.objects.get(name=Role.STAFF.value)
    changes = [
        lambda: staff.groups.remove(staff_group),
        lambda: staff.groups.add(staff_group),
        lambda: staff.user_permissions.add(view_order()),
        lambda: staff.user_permissions.clear(),
        lambda: staff_group.permissions.remove(view_order()),
        lambda: view_order().group_set.add(staff_group),
        lambda: Group.objects.create(name="Interns"),
        lambda: Group.objects.filter(name="Interns").delete(),
        lambda: staff_group.save(),
    ]
    for change in changes:
        before = AccessVersion.objects.get().value
        change()
        assert AccessVersion.objects.get().value != before


def test_a_users_own_permissions_count_as_before(client, auditor):
    auditor.user_permissions.add(
        Permission.objects.get(content_type__app_label="orders", codename="place_order")
    )
    log_in(client, auditor)

    assert client.get("/orders/new/").status_code == 200


def test_a_deactivated_user_is_logged_out_on_the_next_request(client, staff):
    log_in(client, staff)
    assert client.get("/orders/").status_code == 200

    staff.is_active = False
    staff.save(update_fields=["is_active"])

    assert client.get("/orders/").status_code == 302  # to the login page


def field_values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_user_and_its_company_are_the_orms_rows_in_one_go(staff, django_assert_num_queries):
    staff.last_login = staff.date_joined
    staff.save()

    user = backends.load_user(staff.pk)

    assert field_values(user) == field_values(User.objects.get(pk=staff.pk))
    assert not user._state.adding
    with django_assert_num_queries(0):
        assert field_values(user.company) == field_values(staff.company)


def test_a_superuser_without_company_and_an_unknown_id_load_as_the_orm_would(db):
    admin = User.objects.create_superuser("root", "root@example.com", "x" * 20)

    assert backends.load_user(admin.pk).company is None
    assert backends.load_user(uuid.uuid4()) is None


def test_a_demoted_superuser_loses_the_permissions_on_the_next_request(client, auditor):
    auditor.is_superuser = True
    auditor.save()
    log_in(client, auditor)
    assert client.get("/orders/new/").status_code == 200

    auditor.is_superuser = False
    auditor.save()  # no group or permission changed: the cached entry must not serve

    assert client.get("/orders/new/").status_code == 403
