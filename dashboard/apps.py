from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The dashboard: the company's states, the period's chart and cycle times, stuck orders and
    the queues waiting for the user."""

    name = "dashboard"
    verbose_name = "Dashboard"

    def ready(self) -> None:
        from . import projectors  # noqa: F401  (registers the dashboard projection)
