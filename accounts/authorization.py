"""Who may write is decided inside the write transaction, from what the database says then.

contrib.auth caches a user's permissions on the user object for its request (`_perm_cache`),
and a view's `permission_required` fills that cache before the command takes the writers' lock:
a role change or deactivation committed in between would not be seen, and a demoted Manager
could still change roles (issue #24 item 8). Every command therefore asks `actor_now` for the
actor as committed when its writer transaction began, and decides on that copy.
"""

from __future__ import annotations

from .models import User


def actor_now(actor):
    """`actor` read again from the database (no permission cache; its current groups,
    `is_active` and company), to be called inside `store.write_transaction()`. A user no longer
    in the database comes back inactive (it may do nothing). An actor that is not a stored user
    (the importer's operator: no primary key) is returned as it is."""
    if not isinstance(actor, User) or actor.pk is None:
        return actor
    # The actor's own class: an API key's user (a proxy) keeps its name in the log.
    model = actor.__class__  # through request.user's SimpleLazyObject too
    fresh = model._default_manager.select_related("company").filter(pk=actor.pk).first()
    if fresh is None:
        return User(pk=actor.pk, username=actor.username, is_active=False)
    return fresh
