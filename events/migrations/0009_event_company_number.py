"""Each event's number within its company's log moves into the event row (issue #25): the
`number` column, unique per company, given by the append's INSERT from then on, instead of the
`projections_eventnumber` projection (a row and an index more to write per event).

Existing events keep the numbers their users have seen: copied from `projections_eventnumber`
where that table numbers every event, else counted from the log as that projection did
(ROW_NUMBER() by company in position order). The log refuses UPDATE in the database itself,
so the append-only triggers are lifted for the fill and installed again afterwards (SQLite also
drops them when it rebuilds the table for NOT NULL), in both directions, as in 0004.
"""

import importlib

from django.db import migrations, models

_triggers = importlib.import_module("events.migrations.0002_append_only_triggers")

_NUMBERS = "projections_eventnumber"


def fill_numbers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute('SELECT COUNT(*) FROM "events_event"')
        events = cursor.fetchone()[0]
        if not events:
            return
        numbered = -1
        if _NUMBERS in connection.introspection.table_names(cursor):
            cursor.execute(
                f'SELECT COUNT(*) FROM "{_NUMBERS}" n JOIN "events_event" e '
                'ON e."position" = n."position" AND e."company_id" = n."company_id"'
            )
            numbered = cursor.fetchone()[0]
        if numbered == events:
            source = f'(SELECT "position", "number" FROM "{_NUMBERS}")'
        else:
            source = (
                '(SELECT "position", ROW_NUMBER() OVER (PARTITION BY "company_id" '
                'ORDER BY "position") AS "number" FROM "events_event")'
            )
        if connection.vendor == "postgresql":
            # No deferred foreign-key checks left pending: the ALTER TABLE that follows in
            # this transaction would refuse to run.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f'UPDATE "events_event" SET "number" = n."number" FROM {source} n '
            'WHERE n."position" = "events_event"."position"'
        )


class Migration(migrations.Migration):
    dependencies = [("events", "0008_integritycheck_signature")]

    operations = [
        migrations.RunPython(_triggers.remove, _triggers.install),
        migrations.AddField(
            model_name="event",
            name="number",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(fill_numbers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="event",
            name="number",
            field=models.BigIntegerField(editable=False),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                fields=("company", "number"), name="event_company_number"
            ),
        ),
        migrations.RunPython(_triggers.install, _triggers.remove),
    ]
