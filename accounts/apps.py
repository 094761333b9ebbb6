from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and tenancy"

    def ready(self) -> None:
        from django.contrib.auth.models import Group, Permission

        from .backends import change_access_version, on_m2m_changed, on_migrate
        from .models import User

        # Whatever decides a user's role or permissions invalidates the cached access
        # (accounts/backends.py). Migrations and flushes write with plain SQL: post_migrate.
        for through in (User.groups.through, User.user_permissions.through):
            m2m_changed.connect(on_m2m_changed, sender=through, dispatch_uid=f"access.{through}")
        m2m_changed.connect(
            on_m2m_changed, sender=Group.permissions.through, dispatch_uid="access.group_perms"
        )
        for model in (Group, Permission):
            for signal in (post_save, post_delete):
                signal.connect(change_access_version, sender=model, dispatch_uid=f"access.{model}")
        post_migrate.connect(on_migrate, sender=self, dispatch_uid="access.migrate")
