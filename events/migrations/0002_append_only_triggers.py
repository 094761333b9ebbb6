"""Refuse UPDATE and DELETE on the event log in the database itself, not only in the ORM.

Both databases refuse with an integrity error, so Django raises `IntegrityError` on both:
SQLite's `RAISE(ABORT, …)` in a trigger is a constraint failure, and the PostgreSQL function
raises SQLSTATE 23001 (restrict_violation, class 23 "integrity constraint violation").
"""

from django.db import migrations

SQLITE_UP = [
    """CREATE TRIGGER events_event_no_update BEFORE UPDATE ON events_event
       BEGIN SELECT RAISE(ABORT, 'events_event is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER events_event_no_delete BEFORE DELETE ON events_event
       BEGIN SELECT RAISE(ABORT, 'events_event is append-only: DELETE refused'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS events_event_no_update",
    "DROP TRIGGER IF EXISTS events_event_no_delete",
]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION events_event_append_only() RETURNS trigger AS $$
       BEGIN
         RAISE EXCEPTION 'events_event is append-only: % refused', TG_OP
           USING ERRCODE = 'restrict_violation';
       END;
       $$ LANGUAGE plpgsql""",
    # PostgreSQL keeps triggers through ALTER TABLE (0004 installs them again for SQLite).
    "DROP TRIGGER IF EXISTS events_event_append_only ON events_event",
    """CREATE TRIGGER events_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
       ON events_event FOR EACH STATEMENT EXECUTE FUNCTION events_event_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS events_event_append_only ON events_event",
    "DROP FUNCTION IF EXISTS events_event_append_only()",
]
STATEMENTS = {"sqlite": (SQLITE_UP, SQLITE_DOWN), "postgresql": (POSTGRES_UP, POSTGRES_DOWN)}


def _run(schema_editor, index: int) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise RuntimeError(f"No append-only triggers written for {vendor} yet.")
    for sql in STATEMENTS[vendor][index]:
        # No parameters: the SQL goes to the database as written (the plpgsql `%` included),
        # not through the driver's client-side formatting.
        schema_editor.execute(sql, params=None)


def install(apps, schema_editor):
    _run(schema_editor, 0)


def remove(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
