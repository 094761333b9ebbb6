"""The dashboard without counting orders (issue #25 §5).

- `DashboardOrder.returned` and `DashboardStateTotal.returned`: the orders sent back by a
  rejection and not submitted since, per company and state (the "Returned drafts" queue's
  count), filled here from `OrderSummary.rejection_reason`, which the `order_summary` projector
  sets and clears on exactly the events the `dashboard` projector does (so the live rows verify
  identical to a rebuild). Historical models only.
- Indexes matching the queues' ORDER BY (state_since, sequence), the returned drafts alone
  (partial), and the cycle times' period range covering `cycle_seconds`.
"""

from collections import Counter

from django.db import migrations, models


def fill(apps, schema_editor):
    using = schema_editor.connection.alias
    OrderSummary = apps.get_model("projections", "OrderSummary")
    DashboardOrder = apps.get_model("projections", "DashboardOrder")
    DashboardStateTotal = apps.get_model("projections", "DashboardStateTotal")
    returned = list(
        OrderSummary.objects.using(using)
        .exclude(rejection_reason="")
        .values_list("id", flat=True)
        .iterator()
    )
    for start in range(0, len(returned), 500):
        DashboardOrder.objects.using(using).filter(id__in=returned[start : start + 500]).update(
            returned=True
        )
    counts = Counter(
        DashboardOrder.objects.using(using)
        .filter(returned=True)
        .values_list("company_id", "state")
        .iterator()
    )
    for (company_id, state), count in counts.items():
        DashboardStateTotal.objects.using(using).filter(company_id=company_id, state=state).update(
            returned=count
        )


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0015_checkpoint_follows_the_head"),
    ]

    operations = [
        migrations.AddField(
            model_name="dashboardorder",
            name="returned",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="dashboardstatetotal",
            name="returned",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="ordersummary",
            name="summary_co_stuck",
        ),
        migrations.AddIndex(
            model_name="ordersummary",
            index=models.Index(
                fields=["company", "state", "state_since", "sequence"], name="summary_co_queue"
            ),
        ),
        migrations.AddIndex(
            model_name="ordersummary",
            index=models.Index(
                condition=models.Q(("rejection_reason", ""), _negated=True),
                fields=["company", "state", "state_since", "sequence"],
                name="summary_co_returned",
            ),
        ),
        migrations.RemoveIndex(
            model_name="dashboardorder",
            name="dashorder_co_delivered",
        ),
        migrations.AddIndex(
            model_name="dashboardorder",
            index=models.Index(
                fields=["company", "delivered_at", "cycle_seconds"], name="dashorder_co_cycle"
            ),
        ),
    ]
