from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and tenancy"

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from outbox import engine

        from . import (
            events,  # noqa: F401  (registers the access event types)
            sign_ins,
        )

        user_logged_in.connect(sign_ins.on_logged_in, dispatch_uid=sign_ins.DISPATCH_UID)
        user_login_failed.connect(sign_ins.on_login_failed, dispatch_uid=sign_ins.DISPATCH_UID)
        user_locked_out.connect(sign_ins.on_locked_out, dispatch_uid=sign_ins.DISPATCH_UID)
        engine.register(sign_ins.BurstCloser())
