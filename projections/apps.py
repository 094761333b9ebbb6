from django.apps import AppConfig


class ProjectionsConfig(AppConfig):
    name = "projections"
    verbose_name = "Read models"

    def ready(self) -> None:
        from events.store import register_inline_handler

        from .engine import apply_inline

        register_inline_handler(apply_inline)
