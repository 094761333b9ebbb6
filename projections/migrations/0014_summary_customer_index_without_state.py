"""The summary's customer index without the state (issue #25): the customer page reads a
customer's orders by (company, customer_id) and groups the few it finds by state; with the
state in the key every transition moved the order's entry, two index pages per commit."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0013_dashboard_activity_quarter_hours"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="ordersummary", name="summary_co_cust"),
        migrations.AddIndex(
            model_name="ordersummary",
            index=models.Index(fields=["company", "customer_id"], name="summary_co_cust_id"),
        ),
    ]
