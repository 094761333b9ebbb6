"""Every sort of the order list read from an index (QA after issue #25: `?state=on_hold&
sort=placed` sorted the company's orders; EXPLAIN QUERY PLAN, tests/orders/
test_list_query_plans.py):

- the sort indexes end with the number, the list's tie-breaker (`orders.filters.SORT_TIES`), so
  no ties are sorted: total, customer and last change gain it; the line count gets its index;
- the time in state across states gets (company, state_since, sequence); a transition moves
  its entry (as it moves the queues' index), the only way this sort reads no more than a page.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0017_dashboard_activity_quarter_number"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="ordersummary", name="summary_co_total"),
        migrations.RemoveIndex(model_name="ordersummary", name="summary_co_changed"),
        migrations.RemoveIndex(model_name="ordersummary", name="summary_co_customer"),
        migrations.AddIndex(
            model_name="ordersummary",
            index=models.Index(
                fields=["company", "total_cents", "sequence"], name="summary_co_total"
            ),
        ),
        migrations.AddIndex(
            model_name="ordersummary",
            index=models.Index(
                fields=["company", "line_count", "sequence"], name="summary_co_lines"
            ),
        ),
        migrations.AddIndex(
            model_name="ordersummary",
            index=models.Index(
                fields=["company", "-last_changed_at", "-sequence"], name="summary_co_changed"
            ),
        ),
        migrations.AddIndex(
            model_name="ordersummary",
            index=models.Index(
                fields=["company", "customer_name", "sequence"], name="summary_co_customer"
            ),
        ),
        migrations.AddIndex(
            model_name="ordersummary",
            index=models.Index(
                fields=["company", "state_since", "sequence"], name="summary_co_since"
            ),
        ),
    ]
