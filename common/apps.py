from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The plumbing under every app (it imports no app of ours): page and partial rendering,
    CSV export, bounded form fields, the request id, logging, cache headers, htmx messages, the
    health probe, the local-time template filters and the model base."""

    name = "common"
    verbose_name = "Common plumbing"
