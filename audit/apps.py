from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The company's event log page: every event, filters, keyset pages, the CSV download."""

    name = "audit"
    verbose_name = "Audit"
