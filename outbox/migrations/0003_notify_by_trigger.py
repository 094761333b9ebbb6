"""PostgreSQL: NOTIFY the worker's channel from a trigger on the event log, not from a statement
the appending request sends.

A statement-level AFTER INSERT trigger runs inside the appending transaction, so the NOTIFY is
delivered at its commit and not at all on rollback (https://www.postgresql.org/docs/15/sql-notify.html),
exactly as the inline handler it replaces, without a round trip per command. Identical payloads
in one transaction are folded into one notification. SQLite has no NOTIFY: nothing to install.
"""

from django.db import migrations

# outbox.postgres.CHANNEL when this was written (a migration keeps its own copy).
CHANNEL = "ledgerline_events"

UP = [
    f"""CREATE OR REPLACE FUNCTION outbox_notify_append() RETURNS trigger AS $$
       BEGIN
         PERFORM pg_notify('{CHANNEL}', '');
         RETURN NULL;
       END;
       $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS outbox_notify_append ON events_event",
    """CREATE TRIGGER outbox_notify_append AFTER INSERT ON events_event
       FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify_append()""",
]
DOWN = [
    "DROP TRIGGER IF EXISTS outbox_notify_append ON events_event",
    "DROP FUNCTION IF EXISTS outbox_notify_append()",
]


def _run(schema_editor, statements: list[str]) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in statements:
            schema_editor.execute(sql, params=None)


def install(apps, schema_editor):
    _run(schema_editor, UP)


def remove(apps, schema_editor):
    _run(schema_editor, DOWN)


class Migration(migrations.Migration):
    dependencies = [("outbox", "0002_worker_idle_check_indexes"), ("events", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
