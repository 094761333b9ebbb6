"""The authentication backend: Django's ModelBackend, reading the user with its company."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class CompanyUserBackend(ModelBackend):
    """ModelBackend whose per-request user comes with its company in the same query.

    Every page reads `request.user.company` (tenancy, navigation), so `get_user` joins it
    (`select_related`) instead of a second query. Everything else is ModelBackend's own: the
    permission caches live on the user object, which is read afresh for each request, so a
    change to groups, memberships or permissions (however it is made) applies from the next
    request on.
    """

    def get_user(self, user_id):
        """The active user with primary key `user_id` and its company, or None."""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("company").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
