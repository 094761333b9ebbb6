"""Give the events already in the log their company numbers (`EventNumber`), without touching
an event: the same numbers the `event_number` projection gives, read from the log in one
INSERT … SELECT (ROW_NUMBER() by company in position order), and its checkpoint at the head.
`verify_projections` checks them against a replay like any projection's rows."""

import uuid

from django.db import migrations
from django.db.models import Count

# projections.models.key_uuid, frozen here (a migration keeps its own copy of what it needs).
_NAMESPACE = uuid.UUID("7d9f8f0e-54a8-4f51-9a3e-0c1d2b3a4f50")


def _key_uuid(*parts) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, "|".join(str(part) for part in parts))


def number_existing_events(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    EventNumber = apps.get_model("projections", "EventNumber")
    Checkpoint = apps.get_model("projections", "ProjectionCheckpoint")
    db = schema_editor.connection.alias
    if Checkpoint.objects.using(db).filter(name="event_number").exists():
        return
    numbers, events = EventNumber._meta.db_table, Event._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{numbers}" ("position", "company_id", "number") '
            f'SELECT "position", "company_id", '
            f'ROW_NUMBER() OVER (PARTITION BY "company_id" ORDER BY "position") '
            f'FROM "{events}"'
        )
    try:  # gone since 0007 (numbers come from the (company, number) index); tests run this
        CompanyEventCount = apps.get_model("projections", "CompanyEventCount")
    except LookupError:
        CompanyEventCount = None
    if CompanyEventCount is not None:
        counts = Event.objects.using(db).values_list("company_id").order_by()
        counts = counts.annotate(count=Count("id"))
        CompanyEventCount.objects.using(db).bulk_create(
            CompanyEventCount(
                id=_key_uuid("event-count", company_id), company_id=company_id, count=n
            )
            for company_id, n in counts
        )
    head = Event.objects.using(db).order_by("-position").values_list("position", flat=True)
    Checkpoint.objects.using(db).create(
        id=_key_uuid("checkpoint", "event_number"),
        name="event_number",
        position=head.first() or 0,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0003_event_numbers"),
        ("events", "0006_integritycheck_append_only_witnessed"),
    ]

    operations = [migrations.RunPython(number_existing_events, migrations.RunPython.noop)]
