"""The dashboard's quarter-hour rows carry their quarter as a number (`DashboardActivity.quarter`:
quarters of an hour since 1970-01-01 00:00 UTC), so the chart sorts rows into bars with integer
arithmetic (issue #25). Filled here from `slot` exactly as the `dashboard` projector computes it
(`dashboard.projectors.quarter_number`, copied: a migration must not change with later code),
so the live rows verify identical to a rebuild. Historical models only."""

import datetime as dt

from django.db import migrations, models

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_QUARTER = dt.timedelta(minutes=15)


def fill(apps, schema_editor):
    using = schema_editor.connection.alias
    DashboardActivity = apps.get_model("projections", "DashboardActivity")
    rows = list(DashboardActivity.objects.using(using).only("id", "slot"))
    for row in rows:
        row.quarter = (row.slot - _EPOCH) // _QUARTER
    DashboardActivity.objects.using(using).bulk_update(rows, ["quarter"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0016_dashboard_returned_counts_and_queue_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="dashboardactivity",
            name="quarter",
            field=models.IntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
