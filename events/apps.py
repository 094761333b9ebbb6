from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Event log"

    def ready(self) -> None:
        from . import erasure  # noqa: F401 (registers ErasureRecorded)
        from .keystore import open_key_store

        post_migrate.connect(_create_witness_location, sender=self, dispatch_uid="events.witness")
        connection_created.connect(open_key_store, dispatch_uid="events.keystore")


def _create_witness_location(sender, using="default", **kwargs) -> None:
    """`migrate` creates the witness folder: writes never create it (a removed one is noticed)."""
    from .witness import create_location

    create_location(using)
