"""Give the role groups their permissions. The FSM checks these through `permission=`."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF = [
    "view_order",
    "place_order",
    "change_draft_order",
    "add_note_order",
    "submit_order",
    "fulfil_order",
    "hold_order",
    "cancel_order",
]
MANAGER = STAFF + [
    "approve_order",
    "reject_order",
    "resume_order",
    "cancel_approved_order",
    "view_audit_log",
]
GRANTS = {
    "Staff": STAFF,
    "Manager": MANAGER,
    "Auditor": ["view_order", "view_audit_log"],
    "Ops": ["view_order", "view_audit_log"],
}


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; make sure ours exist now.
    app_config = apps.get_app_config("orders")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        perms = Permission.objects.filter(content_type__app_label="orders", codename__in=codenames)
        group.permissions.set(perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("accounts", "0002_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
