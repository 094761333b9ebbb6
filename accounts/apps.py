from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and tenancy"

    def ready(self):
        from . import events  # noqa: F401  (registers the access event types)
