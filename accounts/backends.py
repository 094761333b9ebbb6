"""The authentication backend: Django's ModelBackend, reading the user with its company."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class CompanyUserBackend(ModelBackend):
    """ModelBackend whose per-request user comes with its company in the same query.

    Every page reads `request.user.company` (tenancy, navigation), so `get_user` joins it
    (`select_related`) instead of a second query. Everything else is ModelBackend's own: the
    permission caches live on the user object, which is read afresh for each request, so a
    change to groups, memberships or permissions (however it is made) applies from the next
    request on. The permissions come in one read instead of ModelBackend's two.
    """

    def get_all_permissions(self, user_obj, obj=None):
        """ModelBackend's answer (the user's own permissions and its groups'), read in one query
        instead of one per source: every page asks at least one `has_perm`."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            perms = Permission.objects.all()
            if not user_obj.is_superuser:
                perms = perms.filter(Q(user=user_obj) | Q(group__user=user_obj)).distinct()
            pairs = perms.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in pairs}
        return user_obj._perm_cache

    def get_user(self, user_id):
        """The active user with primary key `user_id` and its company, or None."""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("company").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
