from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers and SKUs"

    def ready(self) -> None:
        from . import events, projectors  # noqa: F401  (registers the event types, projections)
