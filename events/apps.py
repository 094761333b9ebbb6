from django.apps import AppConfig
from django.db.backends.signals import connection_created


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Event log"

    def ready(self) -> None:
        from .checkpointer import on_connection_created

        # WAL checkpoints in a background thread, not inside users' commits (checkpointer.py).
        connection_created.connect(on_connection_created, dispatch_uid="events.checkpointer")
