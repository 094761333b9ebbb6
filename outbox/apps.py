from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbox (subscriptions that follow the log)"

    def ready(self) -> None:
        from events import store

        from . import events, postgres  # noqa: F401  (registers the retry/skip events)

        # PostgreSQL: every append NOTIFYs the worker at commit (a no-op on SQLite).
        store.register_inline_handler(postgres.notify_on_append)
