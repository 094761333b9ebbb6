from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from outbox import engine

        from . import events  # noqa: F401  (registers the endpoint events)
        from .subscriber import WebhookSender

        engine.register(WebhookSender())
