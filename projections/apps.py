from django.apps import AppConfig


class ProjectionsConfig(AppConfig):
    name = "projections"
    verbose_name = "Read models"

    def ready(self) -> None:
        from events.store import register_inline_handler

        from . import numbering  # noqa: F401  (registers the event-number projection)
        from .engine import apply_inline

        register_inline_handler(apply_inline)
