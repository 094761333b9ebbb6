"""The dashboard over any period (issue #19): per-order cycle rows (`DashboardOrder.delivered_at`,
`cycle_seconds`) and cancellations per day (`DashboardDaily.cancelled`).

Filled here from the log exactly as the `dashboard` projector writes them (so the live rows
verify identical to a rebuild), with historical models only: days are the site TIME_ZONE's,
new day rows get the projector's uuid5 key (`projections.models.key_uuid`, copied: a migration
must not change with later code).
"""

import uuid
from collections import Counter

from django.db import migrations, models
from django.utils import timezone

_NAMESPACE = uuid.UUID("7d9f8f0e-54a8-4f51-9a3e-0c1d2b3a4f50")


def _key_uuid(*parts) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, "|".join(str(part) for part in parts))


def fill(apps, schema_editor):
    using = schema_editor.connection.alias
    Event = apps.get_model("events", "Event")
    DashboardOrder = apps.get_model("projections", "DashboardOrder")
    DashboardDaily = apps.get_model("projections", "DashboardDaily")
    zone = timezone.get_default_timezone()
    cancelled = Counter()
    delivered_at = {}
    moves = Event.objects.using(using).filter(event_type__in=["OrderCancelled", "OrderDelivered"])
    for company_id, stream_id, event_type, occurred_at in moves.values_list(
        "company_id", "stream_id", "event_type", "occurred_at"
    ).iterator():
        if event_type == "OrderCancelled":
            cancelled[company_id, timezone.localtime(occurred_at, zone).date()] += 1
        else:
            delivered_at[stream_id] = occurred_at
    for (company_id, day), count in cancelled.items():
        row, _ = DashboardDaily.objects.using(using).get_or_create(
            company_id=company_id,
            day=day,
            defaults={"id": _key_uuid("day", company_id, day), "placed": 0, "delivered": 0},
        )
        row.cancelled = count
        row.save(update_fields=["cancelled"])
    changed = []
    for row in DashboardOrder.objects.using(using).filter(pk__in=list(delivered_at)).iterator():
        row.delivered_at = delivered_at[row.pk]
        if row.submitted_at is not None:
            row.cycle_seconds = int((row.delivered_at - row.submitted_at).total_seconds())
        changed.append(row)
    DashboardOrder.objects.using(using).bulk_update(
        changed, ["delivered_at", "cycle_seconds"], batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0006_integritycheck_append_only_witnessed"),
        ("projections", "0005_summary_rejection_reason_skus"),
    ]

    operations = [
        migrations.AddField(
            model_name="dashboarddaily",
            name="cancelled",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dashboardorder",
            name="cycle_seconds",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="dashboardorder",
            name="delivered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="dashboardorder",
            index=models.Index(fields=["company", "delivered_at"], name="dashorder_co_delivered"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
