"""A projection applied inline with every append keeps its checkpoint at NULL ("follows the
log's head") instead of having its position rewritten by every command (issue #25: one WAL
page per commit). Existing rows keep their positions: the next append finds them at the head
and marks them (`projections.engine.apply_inline`)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0014_summary_indexes_from_query_plans"),
    ]

    operations = [
        migrations.AlterField(
            model_name="projectioncheckpoint",
            name="position",
            field=models.BigIntegerField(default=0, null=True),
        ),
    ]
