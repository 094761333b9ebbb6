"""Orders waiting for a second approval read through their own (partial) index: the dashboard's
tile and queues no longer walk the company's orders (issue #25 §5)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0009_import_jobs"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(
                    ("state", "submitted"), models.Q(("approvals", []), _negated=True)
                ),
                fields=["company", "sequence"],
                name="order_co_second_approval",
            ),
        ),
    ]
