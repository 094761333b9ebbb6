"""The event's position becomes the table's primary key (SQLite: its rowid), the UUID a unique
column beside it (issue #25): the table is then its own position index, one B-tree fewer to
write per event and one index fewer to store. No value changes; the hash covers the same.

SQLite rebuilds the table for each change, which drops its triggers: the append-only triggers
are lifted first and installed again afterwards, in both directions, as in 0004 and 0009.
"""

import importlib
import uuid

from django.db import migrations, models

import common.models

_triggers = importlib.import_module("events.migrations.0002_append_only_triggers")


class Migration(migrations.Migration):
    dependencies = [("events", "0009_event_company_number")]

    operations = [
        migrations.RunPython(_triggers.remove, _triggers.install),
        migrations.AlterField(
            model_name="event",
            name="position",
            field=common.models.RowIdField(editable=False, primary_key=True, serialize=False),
        ),
        migrations.AlterField(
            model_name="event",
            name="id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.RunPython(_triggers.install, _triggers.remove),
    ]
