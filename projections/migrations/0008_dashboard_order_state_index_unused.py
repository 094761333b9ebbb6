"""Drop the dashboard order rows' (company, state) index: no page query uses it (EXPLAIN
QUERY PLAN), and every transition rewrote two of its pages."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0007_drop_company_event_count"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="dashboardorder",
            name="dashorder_co_state",
        ),
    ]
