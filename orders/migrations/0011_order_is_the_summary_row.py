"""One row for an order's current state (issue #25): `Order` reads and writes the order's summary
row (`projections_ordersummary`, which `projections` 0020 gave the columns and keys it lacked),
and its own table `orders_order` goes, with the `order_state` projection that wrote it and that
projection's checkpoint. No rebuild is needed: the summary rows were made by the same events.
Going back recreates `orders_order` from the summary rows."""

import uuid

from django.db import migrations

# projections.models.key_uuid, frozen here (a migration keeps its own copy of what it needs).
_NAMESPACE = uuid.UUID("7d9f8f0e-54a8-4f51-9a3e-0c1d2b3a4f50")
COLUMNS = (
    "id, company_id, number, sequence, state, version, held_from, line_count, total_cents, "
    "authors, approvals, delivered_at"
)


def forget_checkpoint(apps, schema_editor):
    Checkpoint = apps.get_model("projections", "ProjectionCheckpoint")
    Checkpoint.objects.using(schema_editor.connection.alias).filter(name="order_state").delete()


def restore_checkpoint(apps, schema_editor):
    """The restored rows are as current as the summary's: following the log, like it."""
    Checkpoint = apps.get_model("projections", "ProjectionCheckpoint")
    db = schema_editor.connection.alias
    summary = Checkpoint.objects.using(db).filter(name="order_summary").first()
    Checkpoint.objects.using(db).update_or_create(
        name="order_state",
        defaults={"position": summary.position if summary else None},
        create_defaults={
            "id": uuid.uuid5(_NAMESPACE, "checkpoint|order_state"),
            "position": summary.position if summary else None,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0010_order_second_approval_index"),
        ("projections", "0020_order_state_in_the_summary_row"),
    ]

    operations = [
        migrations.RunPython(forget_checkpoint, restore_checkpoint),
        # Backwards this runs after `orders_order` is made again below.
        migrations.RunSQL(
            migrations.RunSQL.noop,
            f"INSERT INTO orders_order ({COLUMNS}) SELECT {COLUMNS} FROM projections_ordersummary",
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.DeleteModel(name="Order")],
            state_operations=[
                migrations.RemoveIndex(model_name="order", name="order_co_second_approval"),
                migrations.RemoveConstraint(model_name="order", name="order_company_sequence"),
                migrations.RemoveConstraint(model_name="order", name="order_company_number"),
                migrations.AlterModelOptions(
                    name="order",
                    options={
                        "default_permissions": ("view",),
                        "managed": False,
                        "permissions": [
                            ("place_order", "Can place orders"),
                            ("change_draft_order", "Can change draft orders"),
                            ("add_note_order", "Can add notes to orders"),
                            ("submit_order", "Can submit orders"),
                            ("approve_order", "Can approve orders"),
                            ("reject_order", "Can reject orders"),
                            ("fulfil_order", "Can start fulfilment, ship and deliver orders"),
                            ("hold_order", "Can put orders on hold"),
                            ("resume_order", "Can resume held orders"),
                            ("cancel_order", "Can cancel draft and submitted orders"),
                            ("cancel_approved_order", "Can cancel approved and held orders"),
                            (
                                "approve_small_order",
                                "Can approve orders up to the company's Staff limit",
                            ),
                            ("amend_order", "Can amend approved orders (back for approval)"),
                            ("reopen_order", "Can reopen a delivery marked by mistake"),
                            ("manage_controls", "Can change the company's controls"),
                            ("view_ops_desk", "Can see the system's health on the ops page"),
                            ("erase_personal_data", "Can erase a customer's personal data"),
                        ],
                    },
                ),
                migrations.AlterModelTable(name="order", table="projections_ordersummary"),
            ],
        ),
    ]
