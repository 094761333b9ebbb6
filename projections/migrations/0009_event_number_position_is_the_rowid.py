"""On SQLite the event number's position becomes the table's rowid (one B-tree fewer per
event; the table is copied, its rows kept). Nothing changes on PostgreSQL."""

from django.db import migrations

import projections.models


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0008_dashboard_order_state_index_unused"),
    ]

    operations = [
        migrations.AlterField(
            model_name="eventnumber",
            name="position",
            field=projections.models.RowIdField(primary_key=True, serialize=False),
        ),
    ]
