"""The Django admin is for platform superusers only (accounts/admin_site.py).

The issue's example: an `is_staff` user of one company with a view permission read every
company's events in the admin, payloads included.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from accounts.models import Role, User
from events.models import Event
from tests import factories

from .conftest import GLOBEX_CUSTOMER

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_with_view_permissions(acme):
    user = factories.user(Role.MANAGER, acme, username="acme.admin-curious")
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_event", "view_integritycheck", "view_user", "view_company"]
        )
    )
    return User.objects.get(pk=user.pk)


@pytest.fixture
def globex_event(globex_staff):
    order = factories.place(globex_staff, customer=GLOBEX_CUSTOMER)
    return Event.objects.get(stream_id=order.id)


ADMIN_PAGES = [
    "/admin/",
    "/admin/events/event/",
    "/admin/events/integritycheck/",
    "/admin/accounts/user/",
    "/admin/accounts/company/",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_company_user_with_is_staff_and_view_permissions_is_kept_out(
    client, staff_with_view_permissions, globex_event, path
):
    factories.log_in(client, staff_with_view_permissions)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_company_user_cannot_open_another_companys_event_in_the_admin(
    client, staff_with_view_permissions, globex_event
):
    factories.log_in(client, staff_with_view_permissions)

    response = client.get(f"/admin/events/event/{globex_event.pk}/change/", follow=True)

    assert GLOBEX_CUSTOMER not in response.content.decode()


def test_a_platform_superuser_uses_the_admin(client, globex_event):
    root = User.objects.create_superuser("platform.root", password="a-long-root-password-7")
    factories.log_in(client, root)

    response = client.get("/admin/events/event/")

    assert response.status_code == 200
    assert str(globex_event.stream_id) in response.content.decode()


# --- issue #32: the admin offers no way to change access without an event --------------------


@pytest.fixture
def root_client(client):
    root = User.objects.create_superuser("platform.root", password="a-long-root-password-7")
    factories.log_in(client, root)
    return client


def test_the_admin_shows_a_company_user_read_only(root_client, acme):
    staff = factories.user(Role.STAFF, acme)

    page = root_client.get(f"/admin/accounts/user/{staff.pk}/change/").content.decode()

    assert staff.username in page
    assert 'name="groups"' not in page and 'name="is_active"' not in page
    assert 'name="company"' not in page and "Save" not in page


@pytest.mark.parametrize(
    "change",
    [
        {"groups": "manager"},
        {"is_active": ""},
        {"company": "globex"},
    ],
)
def test_the_admin_refuses_to_change_a_company_users_access(root_client, acme, globex, change):
    from django.contrib.auth.models import Group

    staff = factories.user(Role.STAFF, acme)
    form = {
        "username": staff.username,
        "is_active": "on",
        "groups": str(Group.objects.get(name="Staff").pk),
        "company": str(acme.pk),
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    if "groups" in change:
        form["groups"] = str(Group.objects.get(name="Manager").pk)
    if "is_active" in change:
        del form["is_active"]
    if "company" in change:
        form["company"] = str(globex.pk)
    events = Event.objects.count()

    response = root_client.post(f"/admin/accounts/user/{staff.pk}/change/", form)

    assert response.status_code == 403
    staff = User.objects.get(pk=staff.pk)
    assert (staff.role, staff.is_active, staff.company_id) == ("Staff", True, acme.pk)
    assert Event.objects.count() == events


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts/user/add/",
        "/admin/accounts/user/{staff}/delete/",
        "/admin/accounts/user/{staff}/password/",
        "/admin/accounts/company/add/",
        "/admin/accounts/company/{acme}/delete/",
        "/admin/auth/group/add/",
        "/admin/auth/group/{staff_group}/change/",
        "/admin/auth/group/{staff_group}/delete/",
    ],
)
def test_the_admin_has_no_way_to_add_or_remove_access(root_client, acme, path):
    staff = factories.user(Role.STAFF, acme)
    from django.contrib.auth.models import Group

    staff_group = Group.objects.get(name="Staff")
    url = path.format(staff=staff.pk, acme=acme.pk, staff_group=staff_group.pk)

    response = root_client.post(url, {"post": "yes", "password1": "x-Long-pass-1234"})

    assert response.status_code == 403
    assert User.objects.filter(pk=staff.pk, is_active=True).exists()


def test_the_admin_refuses_to_change_a_companys_details(root_client, acme):
    form = {"name": "Renamed", "slug": "renamed", "currency": "USD", "password_login": "nobody"}

    response = root_client.post(f"/admin/accounts/company/{acme.pk}/change/", form)

    assert response.status_code == 403
    acme.refresh_from_db()
    assert (acme.name, acme.slug, acme.currency) == ("Acme Corp", "acme", "EUR")


def test_the_admin_offers_no_bulk_delete(root_client, acme):
    page = root_client.get("/admin/accounts/user/").content.decode()

    assert "delete_selected" not in page
