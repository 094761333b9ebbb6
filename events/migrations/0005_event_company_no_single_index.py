"""Drop the single-column company index: (company, position) serves every company lookup.

If SQLite rebuilds the table for this change its triggers go with it: they are installed again
afterwards (and before, when migrating backwards), as in 0004.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

_triggers = importlib.import_module("events.migrations.0002_append_only_triggers")


def _reinstall(apps, schema_editor):
    _triggers.remove(apps, schema_editor)
    _triggers.install(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles"),
        ("events", "0004_event_hash_not_indexed"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, _reinstall),
        migrations.AlterField(
            model_name="event",
            name="company",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="accounts.company",
            ),
        ),
        migrations.RunPython(_reinstall, migrations.RunPython.noop),
    ]
