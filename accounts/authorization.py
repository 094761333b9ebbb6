"""Who may write is decided inside the write transaction, from what the database says then.

contrib.auth caches a user's permissions on the user object for its request (`_perm_cache`),
and a view's `permission_required` fills that cache before the command takes the writers' lock:
a role change or deactivation committed in between would not be seen, and a demoted Manager
could still change roles (issue #24 item 8). Every command therefore asks `actor_now` for the
actor as committed when its writer transaction began, and decides on that copy.
"""

from __future__ import annotations

import json

from django.contrib.auth.models import Group
from django.db.models import Aggregate, Func, OuterRef, Subquery, TextField

from .models import User


def actor_now(actor):
    """`actor` read again from the database (its current groups, permissions, `is_active` and
    company), to be called inside `store.write_transaction()`. A user no longer in the database
    comes back inactive (it may do nothing). An actor that is not a stored user (the importer's
    operator: no primary key) is returned as it is.

    One statement: the user, its company and the names ('app_label.codename', as ModelBackend
    names them) of both halves of its permissions (its own and its groups', as two
    subqueries), which then fill the caches `ModelBackend` keeps on a user object
    (`_user_perm_cache`, `_group_perm_cache`, `_perm_cache`; Django's docs on permission
    caching) exactly as its own two reads would. The names are read with the grants, in the
    same statement, so a permission renamed, deleted or created by any process is seen by the
    next command (a per-process table of names by id kept an old name until the process
    restarted). Superusers hold every permission: the backend reads them itself."""
    if not isinstance(actor, User) or actor.pk is None:
        return actor
    # The actor's own class: an API key's user (a proxy) keeps its name in the log.
    model = actor.__class__  # through request.user's SimpleLazyObject too
    fresh = (
        model._default_manager.select_related("company")
        .annotate(own_permissions=_OWN_NAMES, group_permissions=_GROUP_NAMES)
        .filter(pk=actor.pk)
        .first()
    )
    if fresh is None:
        return User(pk=actor.pk, username=actor.username, is_active=False)
    own = set(json.loads(fresh.__dict__.pop("own_permissions") or "[]"))
    groups = set(json.loads(fresh.__dict__.pop("group_permissions") or "[]"))
    if not fresh.is_superuser:
        fresh._user_perm_cache, fresh._group_perm_cache = own, groups
        fresh._perm_cache = own | groups
    return fresh


class _JsonList(Aggregate):
    """The group's values as a JSON array in text (Django 5.2 has no portable string
    aggregate; JSON keeps any codename intact, commas included)."""

    function = "JSON_GROUP_ARRAY"  # SQLite
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="JSON_AGG(%(expressions)s)::text", **extra_context
        )


class _PermissionName(Func):
    """'app_label.codename' in SQL (`||` on SQLite and PostgreSQL alike; neither column is
    ever NULL, so Django's `Concat` and the COALESCE it adds per part are not needed)."""

    template = "%(expressions)s"
    arg_joiner = " || '.' || "
    output_field = TextField()


def _permission_names(through, holder: str) -> Subquery:
    """The names ('app_label.codename') of the permissions held by the outer query's user
    through `through` (a many-to-many table: the user's own grants, or its groups'), as a JSON
    array."""
    name = _PermissionName("permission__content_type__app_label", "permission__codename")
    held = (
        through.objects.filter(**{holder: OuterRef("pk")})
        .order_by()
        .values(holder)
        .annotate(names=_JsonList(name))
        .values("names")
    )
    return Subquery(held, output_field=TextField())


# Built once: the statement is compiled per call, its expressions need not be made per call.
_OWN_NAMES = _permission_names(User.user_permissions.through, "user")
_GROUP_NAMES = _permission_names(Group.permissions.through, "group__user")
