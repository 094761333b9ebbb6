"""OrderSummary gains `rejection_reason` (the Staff queue) and `skus` (the list's search).

The new columns are filled here from what the rows and the log already hold, exactly as the
`order_summary` projector writes them (so `verify_projections` finds the live rows identical to
a rebuild): `skus` from the row's own lines; `rejection_reason` from the last `OrderRejected`
event unless an `OrderSubmitted` came after it.
Historical models only: this migration keeps working whatever the projector becomes later.
"""

from django.db import migrations, models


def fill(apps, schema_editor):
    OrderSummary = apps.get_model("projections", "OrderSummary")
    Event = apps.get_model("events", "Event")
    using = schema_editor.connection.alias
    # The projector sets the reason on OrderRejected and clears it on OrderSubmitted: replay
    # just those two, in each stream's order.
    reasons: dict = {}
    moves = Event.objects.using(using).filter(event_type__in=["OrderRejected", "OrderSubmitted"])
    for stream_id, event_type, payload in (
        moves.order_by("stream_id", "version")
        .values_list("stream_id", "event_type", "payload")
        .iterator()
    ):
        reasons[stream_id] = payload["reason"] if event_type == "OrderRejected" else ""
    changed = []
    for row in OrderSummary.objects.using(using).iterator():
        row.skus = "\n".join(dict.fromkeys(line["sku"] for line in row.lines))
        row.rejection_reason = reasons.get(row.id, "")
        changed.append(row)
        if len(changed) >= 1000:
            OrderSummary.objects.using(using).bulk_update(changed, ["skus", "rejection_reason"])
            changed = []
    OrderSummary.objects.using(using).bulk_update(changed, ["skus", "rejection_reason"])


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0006_integritycheck_append_only_witnessed"),
        ("projections", "0004_number_existing_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="ordersummary",
            name="rejection_reason",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="ordersummary",
            name="skus",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
