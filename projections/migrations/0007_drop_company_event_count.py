"""The per-company event count goes: the `event_number` projection numbers each event in SQL
(one more than the company's highest number, found through the (company, number) index)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0006_dashboard_cycle_rows_cancelled"),
    ]

    operations = [
        migrations.DeleteModel(
            name="CompanyEventCount",
        ),
    ]
