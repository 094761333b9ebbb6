"""`actor_now` reads the actor's permissions by name with its grants, in its one statement: a
permission created, granted, renamed or taken away is seen by the next command, whichever
process changed it (no per-process table of names to go stale)."""

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


def test_a_permission_renamed_by_another_process_is_not_known_by_its_old_name(staff):
    """Another process's change sends no signal here: a queryset `update` (no `post_save`)
    writes the row as that process would."""
    assert actor_now(staff).has_perm("orders.view_order")

    Permission.objects.filter(codename="view_order", content_type__app_label="orders").update(
        codename="view_order_renamed"
    )

    fresh = actor_now(staff)
    assert not fresh.has_perm("orders.view_order")
    assert fresh.has_perm("orders.view_order_renamed")


def test_a_permission_taken_from_the_role_by_another_process_is_not_held(staff):
    permission = Permission.objects.get(codename="view_order", content_type__app_label="orders")
    assert actor_now(staff).has_perm("orders.view_order")

    # The group's grant removed in SQL, as another process would: no m2m signal here.
    staff.groups.first().permissions.through.objects.filter(permission=permission).delete()

    assert not actor_now(staff).has_perm("orders.view_order")
