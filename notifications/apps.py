from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from outbox import engine

        from .subscriber import Notifier

        engine.register(Notifier())
