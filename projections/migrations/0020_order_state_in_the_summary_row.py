"""One row for an order's current state (issue #25): the summary row carries what the order's
state row (`orders_order`) held besides (who authored the order, the approvals of this round)
and its keys (unique (company, sequence) and (company, number), the partial index of the orders
waiting for a second approval). The values are copied from `orders_order`, whose rows the
same events kept in step with these; `orders` 0011 then drops that table and reads this one.
Going back leaves the copied columns behind (nothing to restore)."""

from django.db import migrations, models

COPY = """
UPDATE projections_ordersummary
SET authors = (SELECT o.authors FROM orders_order o WHERE o.id = projections_ordersummary.id),
    approvals = (SELECT o.approvals FROM orders_order o WHERE o.id = projections_ordersummary.id)
WHERE EXISTS (SELECT 1 FROM orders_order o WHERE o.id = projections_ordersummary.id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_user_sessions_with_their_user"),
        ("projections", "0019_event_number_in_the_event_row"),
        ("orders", "0010_order_second_approval_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="ordersummary",
            name="approvals",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="ordersummary",
            name="authors",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunSQL(COPY, migrations.RunSQL.noop),
        migrations.RemoveIndex(
            model_name="ordersummary",
            name="summary_co_seq",
        ),
        migrations.AddConstraint(
            model_name="ordersummary",
            constraint=models.UniqueConstraint(
                fields=("company", "sequence"), name="summary_co_seq_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="ordersummary",
            constraint=models.UniqueConstraint(
                fields=("company", "number"), name="summary_co_number_unique"
            ),
        ),
        migrations.AddIndex(
            model_name="ordersummary",
            index=models.Index(
                condition=models.Q(
                    ("state", "submitted"), models.Q(("approvals", []), _negated=True)
                ),
                fields=["company", "sequence"],
                name="summary_co_second_approval",
            ),
        ),
    ]
