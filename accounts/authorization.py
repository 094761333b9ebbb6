"""Who may write is decided inside the write transaction, from what the database says then.

contrib.auth caches a user's permissions on the user object for its request (`_perm_cache`),
and a view's `permission_required` fills that cache before the command takes the writers' lock:
a role change or deactivation committed in between would not be seen, and a demoted Manager
could still change roles (issue #24 item 8). Every command therefore asks `actor_now` for the
actor as committed when its writer transaction began, and decides on that copy.
"""

from __future__ import annotations

import json

from django.contrib.auth.models import Group, Permission
from django.db.models import Aggregate, OuterRef, Subquery, TextField

from .models import User


def actor_now(actor):
    """`actor` read again from the database (its current groups, permissions, `is_active` and
    company), to be called inside `store.write_transaction()`. A user no longer in the database
    comes back inactive (it may do nothing). An actor that is not a stored user (the importer's
    operator: no primary key) is returned as it is.

    One statement: the user, its company and the ids of both halves of its permissions (its
    own and its groups', as two subqueries), named from a per-process table, which then fill
    the caches `ModelBackend` keeps on a user object (`_user_perm_cache`, `_group_perm_cache`,
    `_perm_cache`; Django's docs on permission caching) exactly as its own two reads would.
    Superusers hold every permission: the backend reads them itself."""
    if not isinstance(actor, User) or actor.pk is None:
        return actor
    # The actor's own class: an API key's user (a proxy) keeps its name in the log.
    model = actor.__class__  # through request.user's SimpleLazyObject too
    fresh = (
        model._default_manager.select_related("company")
        .annotate(own_permission_ids=_OWN_IDS, group_permission_ids=_GROUP_IDS)
        .filter(pk=actor.pk)
        .first()
    )
    if fresh is None:
        return User(pk=actor.pk, username=actor.username, is_active=False)
    own = permission_names(json.loads(fresh.__dict__.pop("own_permission_ids") or "[]"))
    groups = permission_names(json.loads(fresh.__dict__.pop("group_permission_ids") or "[]"))
    if not fresh.is_superuser:
        fresh._user_perm_cache, fresh._group_perm_cache = own, groups
        fresh._perm_cache = own | groups
    return fresh


_names_by_id: dict[int, str] = {}


def permission_names(ids) -> set[str]:
    """'app_label.codename' of the permissions `ids`, as ModelBackend names them. The names are
    the permission table's, which only migrations change: read once per process, again when an
    id is not known yet (a permission created since), and forgotten when a permission is saved
    or deleted in this process or after `migrate`/`flush` (`forget_permission_names`), so an
    id never keeps the name of a permission it no longer is.

    The server's threads share the table: it is never changed in place, a reload builds a whole
    new one and then replaces it, so a reader always names its ids from one complete table."""
    global _names_by_id
    names = _names_by_id
    if any(pk not in names for pk in ids):
        names = {
            pk: f"{app_label}.{codename}"
            for pk, app_label, codename in Permission.objects.values_list(
                "pk", "content_type__app_label", "codename"
            )
        }
        _names_by_id = names
    return {names[pk] for pk in ids if pk in names}


def forget_permission_names(**_kwargs) -> None:
    global _names_by_id
    _names_by_id = {}


class _JsonList(Aggregate):
    """The group's values as a JSON array in text (Django 5.2 has no portable string
    aggregate; JSON keeps any codename intact, commas included)."""

    function = "JSON_GROUP_ARRAY"  # SQLite
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="JSON_AGG(%(expressions)s)::text", **extra_context
        )


def _permission_ids(through, holder: str) -> Subquery:
    """The ids of the permissions held by the outer query's user through `through` (a
    many-to-many table: the user's own grants, or its groups'), as a JSON array."""
    held = (
        through.objects.filter(**{holder: OuterRef("pk")})
        .order_by()
        .values(holder)
        .annotate(ids=_JsonList("permission_id"))
        .values("ids")
    )
    return Subquery(held, output_field=TextField())


# Built once: the statement is compiled per call, its expressions need not be made per call.
_OWN_IDS = _permission_ids(User.user_permissions.through, "user")
_GROUP_IDS = _permission_ids(Group.permissions.through, "group__user")
