from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbox (subscriptions that follow the log)"

    def ready(self) -> None:
        from . import events  # noqa: F401  (registers the retry/skip events)
