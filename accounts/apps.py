from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and tenancy"

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.models import Permission
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import post_delete, post_migrate, post_save

        from outbox import engine

        from . import (
            authorization,
            events,  # noqa: F401  (registers the access event types)
            sign_ins,
        )

        user_logged_in.connect(sign_ins.on_logged_in, dispatch_uid=sign_ins.DISPATCH_UID)
        user_login_failed.connect(sign_ins.on_login_failed, dispatch_uid=sign_ins.DISPATCH_UID)
        user_locked_out.connect(sign_ins.on_locked_out, dispatch_uid=sign_ins.DISPATCH_UID)
        engine.register(sign_ins.BurstCloser())
        # The per-process table of permission names (`authorization.permission_names`).
        forget = authorization.forget_permission_names
        post_migrate.connect(forget, dispatch_uid="accounts.forget_permission_names")
        for signal in (post_save, post_delete):
            signal.connect(forget, sender=Permission, dispatch_uid="accounts.forget_permissions")
