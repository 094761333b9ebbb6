"""`actor_now` names the permissions it reads by id from a per-process table: a permission
created or granted later is seen at once, and an id never keeps another permission's name."""

import sys
import threading

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from accounts import authorization
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


class _ReloadedBetweenReads(list):
    """The ids a reader names, with another thread's reload of the table (the server's threads
    share it) starting between the reader's check that it knows them all and its naming them:
    the interleaving a threaded server (waitress) meets after a permission change or at start."""

    def __init__(self, ids):
        super().__init__(ids)
        self.reads = 0

    def __iter__(self):
        self.reads += 1
        if self.reads == 2:
            authorization.forget_permission_names()  # the other thread's reload begins
        return super().__iter__()


def test_a_reload_in_another_thread_never_leaves_a_reader_with_part_of_its_permissions():
    ids = list(
        Permission.objects.filter(content_type__app_label="orders").values_list("pk", flat=True)
    )
    expected = authorization.permission_names(ids)
    assert authorization.permission_names(_ReloadedBetweenReads(ids)) == expected


def test_threads_naming_permissions_while_the_table_is_reloaded_all_get_every_name():
    ids = list(
        Permission.objects.filter(content_type__app_label="orders").values_list("pk", flat=True)
    )
    expected = authorization.permission_names(ids)
    wrong, done = [], threading.Event()

    def reader():
        while not done.is_set():
            names = authorization.permission_names(ids)
            if names != expected:
                wrong.append(names)

    def reloader():
        try:
            for _ in range(200):
                authorization.forget_permission_names()
                authorization.permission_names(ids)
        finally:
            done.set()
            connection.close()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=reader) for _ in range(3)]
        threads.append(threading.Thread(target=reloader))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []
