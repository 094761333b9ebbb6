"""The dashboard's order row keeps no state (issue #25): the events that move an order name the
state they leave, and a draft change happens in draft only, so most moves no longer write this
row at all. Going back fills the column again from the order's one row (the summary's state)."""

from django.db import migrations, models

RESTORE = """
UPDATE projections_dashboardorder
SET state = (SELECT s.state FROM projections_ordersummary s
             WHERE s.id = projections_dashboardorder.id)
WHERE EXISTS (SELECT 1 FROM projections_ordersummary s WHERE s.id = projections_dashboardorder.id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0020_order_state_in_the_summary_row"),
    ]

    operations = [
        # Backwards this runs after the column is back (with "" until it is filled here).
        migrations.RunSQL(migrations.RunSQL.noop, RESTORE),
        # A default for going back: the column comes back on rows that exist.
        migrations.AlterField(
            model_name="dashboardorder",
            name="state",
            field=models.CharField(default="", max_length=20),
        ),
        migrations.RemoveField(model_name="dashboardorder", name="state"),
    ]
