from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from accounts.selectors import MANAGERS_NEEDED
        from outbox import engine

        from . import events, projectors  # noqa: F401  (registers the event types, projections)
        from .erasure import RetentionSweep
        from .import_jobs import ImportRunner
        from .permissions import grant_role_permissions
        from .policy import managers_needed

        engine.register(RetentionSweep())
        engine.register(ImportRunner())
        if managers_needed not in MANAGERS_NEEDED:
            MANAGERS_NEEDED.append(managers_needed)

        # After auth's own post_migrate handler has created our permissions (auth comes first
        # in INSTALLED_APPS), make sure the role groups hold them.
        post_migrate.connect(grant_role_permissions, sender=self, dispatch_uid="orders.roles")
