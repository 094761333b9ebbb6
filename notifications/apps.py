from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from events import erasure
        from outbox import engine

        from .subscriber import Notifier, scrub_erased

        engine.register(Notifier())
        erasure.register_scrubber(scrub_erased)
