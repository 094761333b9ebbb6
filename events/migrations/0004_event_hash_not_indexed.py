"""The chain hash needs no unique index (verify_events checks the chain).

SQLite alters a column by rebuilding the table, which drops its triggers: the append-only
triggers are installed again after the change, in both directions.
"""

import importlib

from django.db import migrations, models

_triggers = importlib.import_module("events.migrations.0002_append_only_triggers")


class Migration(migrations.Migration):
    dependencies = [("events", "0003_event_base_manager")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, _triggers.install),
        migrations.AlterField(
            model_name="event", name="hash", field=models.CharField(max_length=64)
        ),
        migrations.RunPython(_triggers.install, migrations.RunPython.noop),
    ]
