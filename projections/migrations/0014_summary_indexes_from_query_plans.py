"""The summary's indexes as the pages' query plans use them (issue #25, EXPLAIN QUERY PLAN):

- (company, state, placed_at) goes: the list filtered by state reads (company, placed_at,
  sequence) newest first (it gives the whole sort) and counts on (company, state,
  state_since); only a state filter sorted oldest first chose it, and that reads the state's
  rows just as well through (company, state, state_since). Every transition moved its entry:
  two WAL pages per commit.
- The customer index loses the state (a transition moved its entry too) and gains the
  customer page's sort: a customer's 50 newest orders are read from the index instead of by
  walking the company's whole (company, placed_at) range.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0013_dashboard_activity_quarter_hours"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="ordersummary", name="summary_co_state"),
        migrations.RemoveIndex(model_name="ordersummary", name="summary_co_cust"),
        migrations.AddIndex(
            model_name="ordersummary",
            index=models.Index(
                fields=["company", "customer_id", "-placed_at", "-sequence"],
                name="summary_co_cust_placed",
            ),
        ),
    ]
