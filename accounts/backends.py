"""The authentication backend: Django's ModelBackend, reading the user with its company."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import CharField, F, Value


class CompanyUserBackend(ModelBackend):
    """ModelBackend whose per-request user comes with its company in the same query.

    Every page reads `request.user.company` (tenancy, navigation), so `get_user` joins it
    (`select_related`) instead of a second query. Everything else is ModelBackend's own: the
    permission caches live on the user object, which is read afresh for each request, so a
    change to groups, memberships or permissions (however it is made) applies from the next
    request on. The permissions come in one read instead of ModelBackend's two, with the
    names of the user's groups (`User.role`, which the navigation shows on every page).
    """

    def get_all_permissions(self, user_obj, obj=None):
        """ModelBackend's answer (the user's own permissions and its groups'), read in one query
        instead of one per source: every page asks at least one `has_perm`."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                pairs = Permission.objects.values_list("content_type__app_label", "codename")
                user_obj._perm_cache = {f"{app}.{codename}" for app, codename in pairs.order_by()}
            else:
                user_obj._perm_cache, groups = _permissions_and_groups(user_obj)
                # `User.role` (the navigation shows it on every page) from the same read.
                user_obj.__dict__.setdefault("role", ", ".join(sorted(groups)))
        return user_obj._perm_cache

    def get_user(self, user_id):
        """The active user with primary key `user_id` and its company, or None."""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("company").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def _permissions_and_groups(user) -> tuple[set[str], set[str]]:
    """The names ('app_label.codename') of `user`'s own and its groups' permissions, and the
    names of its groups, in one statement: its groups with each of their permissions (a group
    without any comes once, with none), then its own permissions (no group)."""
    groups = Group.objects.filter(user=user).annotate(
        in_group=F("name"),
        app=F("permissions__content_type__app_label"),
        code=F("permissions__codename"),
    )
    own = Permission.objects.filter(user=user).annotate(
        in_group=Value(None, output_field=CharField()),
        app=F("content_type__app_label"),
        code=F("codename"),
    )
    columns = ("in_group", "app", "code")
    rows = (
        groups.values_list(*columns)
        .order_by()
        .union(own.values_list(*columns).order_by(), all=True)
    )
    permissions, names = set(), set()
    for group, app, codename in rows:
        if group is not None:
            names.add(group)
        if codename is not None:
            permissions.add(f"{app}.{codename}")
    return permissions, names
