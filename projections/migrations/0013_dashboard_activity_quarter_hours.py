"""The dashboard in anybody's time zone (issue #29): orders placed, delivered and cancelled per
quarter of an hour in UTC (`DashboardActivity`) instead of per TIME_ZONE day (`DashboardDaily`),
so local days of any zone (23 and 25 hours at the clock changes) are sums of whole rows.

Filled here from the log exactly as the `dashboard` projector writes them (so the live rows
verify identical to a rebuild), with historical models only; the uuid5 key is copied from
`projections.models.key_uuid` (a migration must not change with later code).
"""

import datetime as dt
import uuid
from collections import Counter

import django.db.models.deletion
from django.db import migrations, models

_NAMESPACE = uuid.UUID("7d9f8f0e-54a8-4f51-9a3e-0c1d2b3a4f50")
_COLUMNS = {"OrderPlaced": "placed", "OrderDelivered": "delivered", "OrderCancelled": "cancelled"}


def _key_uuid(*parts) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, "|".join(str(part) for part in parts))


def _quarter_hour(moment: dt.datetime) -> dt.datetime:
    moment = moment.astimezone(dt.UTC)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def fill(apps, schema_editor):
    using = schema_editor.connection.alias
    Event = apps.get_model("events", "Event")
    DashboardActivity = apps.get_model("projections", "DashboardActivity")
    counts = Counter()
    moves = Event.objects.using(using).filter(event_type__in=list(_COLUMNS))
    for company_id, event_type, occurred_at in moves.values_list(
        "company_id", "event_type", "occurred_at"
    ).iterator():
        counts[company_id, _quarter_hour(occurred_at), _COLUMNS[event_type]] += 1
    rows = {}
    for (company_id, slot, column), count in counts.items():
        row = rows.get((company_id, slot))
        if row is None:
            row = rows[company_id, slot] = DashboardActivity(
                id=_key_uuid("slot", company_id, slot.isoformat()),
                company_id=company_id,
                slot=slot,
            )
        setattr(row, column, count)
    DashboardActivity.objects.using(using).bulk_create(rows.values(), batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_locale_preferences"),
        ("events", "0008_integritycheck_signature"),
        ("projections", "0012_summary_customer_id"),
    ]

    operations = [
        migrations.CreateModel(
            name="DashboardActivity",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("slot", models.DateTimeField()),
                ("placed", models.PositiveIntegerField(default=0)),
                ("delivered", models.PositiveIntegerField(default=0)),
                ("cancelled", models.PositiveIntegerField(default=0)),
                (
                    "company",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.company",
                    ),
                ),
            ],
        ),
        migrations.AddConstraint(
            model_name="dashboardactivity",
            constraint=models.UniqueConstraint(
                fields=("company", "slot"), name="dash_activity_unique"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.DeleteModel(name="DashboardDaily"),
    ]
