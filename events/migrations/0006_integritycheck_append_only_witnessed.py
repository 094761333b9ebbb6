"""The verification record becomes append-only like the log (ORM and triggers), and says what it
was checked against outside the database (witnessed checkpoints, events/witness.py).

`verify_events` anchors the log on the last good run's head: with no trigger on this table,
someone with write access to the database could delete or rewrite that anchor to hide a cut
tail. Self-contained (its own trigger SQL, SQLite and PostgreSQL), installed after the fields
are added: SQLite rebuilds the table for those, which would drop triggers made before.
"""

from django.db import migrations, models

SQLITE_UP = [
    """CREATE TRIGGER events_integritycheck_no_update BEFORE UPDATE ON events_integritycheck
       BEGIN SELECT RAISE(ABORT, 'events_integritycheck is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER events_integritycheck_no_delete BEFORE DELETE ON events_integritycheck
       BEGIN SELECT RAISE(ABORT, 'events_integritycheck is append-only: DELETE refused'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS events_integritycheck_no_update",
    "DROP TRIGGER IF EXISTS events_integritycheck_no_delete",
]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION events_integritycheck_append_only() RETURNS trigger AS $$
       BEGIN
         RAISE EXCEPTION 'events_integritycheck is append-only: % refused', TG_OP
           USING ERRCODE = 'restrict_violation';
       END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER events_integritycheck_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
       ON events_integritycheck FOR EACH STATEMENT
       EXECUTE FUNCTION events_integritycheck_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS events_integritycheck_append_only ON events_integritycheck",
    "DROP FUNCTION IF EXISTS events_integritycheck_append_only()",
]
STATEMENTS = {"sqlite": (SQLITE_UP, SQLITE_DOWN), "postgresql": (POSTGRES_UP, POSTGRES_DOWN)}


def _run(schema_editor, index: int) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise RuntimeError(f"No append-only triggers written for {vendor} yet.")
    for sql in STATEMENTS[vendor][index]:
        schema_editor.execute(sql, params=None)  # no client-side %-formatting (plpgsql's %)


def install(apps, schema_editor):
    _run(schema_editor, 0)


def remove(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("events", "0005_event_company_no_single_index")]

    operations = [
        migrations.AlterModelOptions(
            name="integritycheck",
            options={
                "base_manager_name": "objects",
                "get_latest_by": "checked_at",
                "ordering": ["-checked_at"],
            },
        ),
        migrations.AddField(
            model_name="integritycheck",
            name="unwitnessed_events",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="integritycheck",
            name="witnessed_position",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="integritycheck",
            name="witnesses",
            field=models.TextField(blank=True, default=""),
            preserve_default=False,
        ),
        migrations.RunPython(install, remove),
    ]
