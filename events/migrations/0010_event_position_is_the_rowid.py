"""The event's position becomes the table's primary key (SQLite: its rowid), the UUID a unique
column beside it (issue #25): the table is then its own position index, one B-tree fewer to
write per event and one index fewer to store. No value changes; the hash covers the same.

SQLite rebuilds the table for each change (Django's AlterField, in this order), which drops
its triggers: the append-only triggers are lifted first and installed again afterwards, in both
directions, as in 0004 and 0009. PostgreSQL: Django would add the new primary key before
dropping the old one, which PostgreSQL refuses; the constraints are swapped in SQL instead.
"""

import importlib
import uuid

from django.db import migrations, models

import common.models

_triggers = importlib.import_module("events.migrations.0002_append_only_triggers")


class AlterFieldOnSQLite(migrations.AlterField):
    """An AlterField whose database change runs on SQLite only (the state changes everywhere)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def _swap_keys(schema_editor, *, primary: str, unique: str) -> None:
    """PostgreSQL: make `primary` the primary key and `unique` a unique column (was the other
    way round)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "events_event")
    for name, found in constraints.items():
        if found["primary_key"] or (found["unique"] and found["columns"] == [primary]):
            schema_editor.execute(f'ALTER TABLE "events_event" DROP CONSTRAINT "{name}"')
    schema_editor.execute(f'ALTER TABLE "events_event" ADD PRIMARY KEY ("{primary}")')
    schema_editor.execute(
        f'ALTER TABLE "events_event" ADD CONSTRAINT "events_event_{unique}_uniq" '
        f'UNIQUE ("{unique}")'
    )


def position_first(apps, schema_editor):
    _swap_keys(schema_editor, primary="position", unique="id")


def id_first(apps, schema_editor):
    _swap_keys(schema_editor, primary="id", unique="position")


class Migration(migrations.Migration):
    dependencies = [("events", "0009_event_company_number")]

    operations = [
        migrations.RunPython(_triggers.remove, _triggers.install),
        AlterFieldOnSQLite(
            model_name="event",
            name="position",
            field=common.models.RowIdField(editable=False, primary_key=True, serialize=False),
        ),
        AlterFieldOnSQLite(
            model_name="event",
            name="id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.RunPython(position_first, id_first),
        migrations.RunPython(_triggers.install, _triggers.remove),
    ]
