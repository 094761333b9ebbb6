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
    client.force_login(staff_with_view_permissions)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_company_user_cannot_open_another_companys_event_in_the_admin(
    client, staff_with_view_permissions, globex_event
):
    client.force_login(staff_with_view_permissions)

    response = client.get(f"/admin/events/event/{globex_event.pk}/change/", follow=True)

    assert GLOBEX_CUSTOMER not in response.content.decode()


def test_a_platform_superuser_uses_the_admin(client, globex_event):
    root = User.objects.create_superuser("platform.root", password="a-long-root-password-7")
    client.force_login(root)

    response = client.get("/admin/events/event/")

    assert response.status_code == 200
    assert str(globex_event.stream_id) in response.content.decode()
