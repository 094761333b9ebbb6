"""The authentication backend: the logged-in user with its company, role and permissions.

Django's ModelBackend reads the user through the ORM, then (per request) the company, the
groups (role) and the user's and groups' permissions: four more ORM queries, ~1.5 ms of what a
page cost. Here the user and company rows are read in plain SQL (`events.sqlrows`), and each
process keeps the role and permissions it read per user, stamped with `AccessVersion`: every
request first reads the current stamp (one row, ~10 µs), and an entry serves only while its
stamp is the current one. Every change that could alter an entry (group memberships, group or
user permissions, groups, permissions, migrations) writes a new stamp in the same transaction
(signal handlers below), so the next request of every process sees it and reads afresh: no
stale window, no messages between processes. `is_active` comes with the user row of each
request, and an entry is only used for the `is_superuser` it was read with.
"""

from __future__ import annotations

import secrets
import uuid
from typing import NamedTuple

from django.contrib.auth.backends import ModelBackend
from django.db import connection, connections

from events.sqlrows import select_instance

from .models import AccessVersion, Company, User

ACCESS_VERSION_ID = 1
MAX_CACHED_USERS = 10_000


class Access(NamedTuple):
    version: int
    superuser: bool  # a superuser's permissions are all permissions: demoting one changes them
    role: str
    user_permissions: frozenset[str]
    group_permissions: frozenset[str]


_cache: dict[uuid.UUID, Access] = {}


class CachedAccessBackend(ModelBackend):
    def get_user(self, user_id):
        version = current_access_version()  # before the rows it vouches for
        user = load_user(user_id)
        if user is None or not self.user_can_authenticate(user):
            return None
        self._attach_access(user, version)
        return user

    def _attach_access(self, user: User, version: int | None) -> None:
        """Fill the caches `User.role` and ModelBackend's permission checks read."""
        access = _cache.get(user.pk)
        if access is None or (access.version, access.superuser) != (version, user.is_superuser):
            access = Access(
                version,
                user.is_superuser,
                user.role,
                frozenset(self.get_user_permissions(user)),
                frozenset(self.get_group_permissions(user)),
            )
            if version is not None:  # no stamp yet (fresh database): don't keep
                if len(_cache) >= MAX_CACHED_USERS:
                    _cache.clear()
                _cache[user.pk] = access
        user.role = access.role  # the cached_property's slot
        user._user_perm_cache = set(access.user_permissions)
        user._group_perm_cache = set(access.group_permissions)
        user._perm_cache = {*access.user_permissions, *access.group_permissions}


def load_user(user_id) -> User | None:
    """`User.objects.select_related("company").get(pk=user_id)`, through sqlrows: two primary-key
    rows in ~40 µs, where the ORM took ~290 µs (on every request, before any page work)."""
    user = select_instance(User, "{id} = %s", id=user_id)
    if user is not None:
        company = (
            select_instance(Company, "{id} = %s", id=user.company_id)
            if user.company_id is not None
            else None
        )
        User.company.field.set_cached_value(user, company)  # what select_related leaves
    return user


def current_access_version() -> int | None:
    table = connection.ops.quote_name(AccessVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {table} WHERE id = %s", [ACCESS_VERSION_ID])
        row = cursor.fetchone()
    return row[0] if row else None


def change_access_version(**kwargs) -> None:
    """Signal handler: whatever decides access changed, so every cached entry is out of date."""
    using = kwargs.get("using") or "default"
    AccessVersion.objects.using(using).update_or_create(
        pk=ACCESS_VERSION_ID, defaults={"value": secrets.randbits(62)}
    )


def on_migrate(using: str = "default", **kwargs) -> None:
    """post_migrate (also after a test flush): migrations and flushes write in plain SQL."""
    if AccessVersion._meta.db_table in connections[using].introspection.table_names():
        change_access_version(using=using)


def on_m2m_changed(action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        change_access_version(**kwargs)


def forget_cached_access() -> None:
    """For tests: start from an empty cache."""
    _cache.clear()
