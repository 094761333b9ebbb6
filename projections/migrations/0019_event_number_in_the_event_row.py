"""The `event_number` projection is gone: each event's company number is a column of the event
row since events 0009 (which copied this table's numbers there). Its table and its checkpoint
go with it; going back fills them again from the event rows."""

import uuid

from django.db import migrations

# projections.models.key_uuid, frozen here (a migration keeps its own copy of what it needs).
_NAMESPACE = uuid.UUID("7d9f8f0e-54a8-4f51-9a3e-0c1d2b3a4f50")


def drop_checkpoint(apps, schema_editor):
    Checkpoint = apps.get_model("projections", "ProjectionCheckpoint")
    Checkpoint.objects.using(schema_editor.connection.alias).filter(name="event_number").delete()


def restore_numbers(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    Checkpoint = apps.get_model("projections", "ProjectionCheckpoint")
    db = schema_editor.connection.alias
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "projections_eventnumber" ("position", "company_id", "number") '
            'SELECT "position", "company_id", "number" FROM "events_event"'
        )
    head = Event.objects.using(db).order_by("-position").values_list("position", flat=True)
    Checkpoint.objects.using(db).update_or_create(
        name="event_number",
        defaults={"position": head.first() or 0},
        create_defaults={
            "id": uuid.uuid5(_NAMESPACE, "checkpoint|event_number"),
            "position": head.first() or 0,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0018_summary_indexes_for_every_list_sort"),
        ("events", "0009_event_company_number"),
    ]

    operations = [
        migrations.RunPython(drop_checkpoint, restore_numbers),
        migrations.DeleteModel(name="EventNumber"),
    ]
