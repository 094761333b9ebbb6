"""`actor_now` names the permissions it reads by id from a per-process table: a permission
created or granted later is seen at once, and an id never keeps another permission's name."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from accounts.authorization import actor_now
from orders.models import Order

pytestmark = pytest.mark.django_db


def test_a_new_permission_granted_to_the_role_is_held_at_once(staff):
    assert not actor_now(staff).has_perm("orders.export_everything")
    permission = Permission.objects.create(
        codename="export_everything",
        name="Can export everything",
        content_type=ContentType.objects.get_for_model(Order),
    )
    staff.groups.first().permissions.add(permission)
    assert actor_now(staff).has_perm("orders.export_everything")


def test_a_renamed_permission_is_not_known_by_its_old_name(staff):
    permission = Permission.objects.get(codename="view_order", content_type__app_label="orders")
    assert actor_now(staff).has_perm("orders.view_order")
    permission.codename = "view_order_renamed"
    permission.save()
    fresh = actor_now(staff)
    assert not fresh.has_perm("orders.view_order")
    assert fresh.has_perm("orders.view_order_renamed")
