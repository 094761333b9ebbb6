"""The audit page's permission moves from `orders.view_audit_log` to `audit.view_audit_log`.

Every group and user that held the old permission holds the new one; the old one is deleted
(and with it its grants). Reversed, the grants go back to the old permission.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAME = "view_audit_log"
NAME = "Can read the company's event log"


def _permission(apps, app_label: str):
    """The permission `app_label.view_audit_log`, made if it does not exist yet."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    model = "auditlog" if app_label == "audit" else "order"
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": NAME}
    )
    return permission


def _move(apps, old_label: str, new_label: str) -> None:
    Permission = apps.get_model("auth", "Permission")
    old = Permission.objects.filter(content_type__app_label=old_label, codename=CODENAME).first()
    if old is None:
        return
    new = _permission(apps, new_label)
    for group in old.group_set.all():
        group.permissions.add(new)
    for user in old.user_set.all():
        user.user_permissions.add(new)
    old.delete()


def forwards(apps, schema_editor):
    app_config = apps.get_app_config("audit")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    _move(apps, "orders", "audit")


def backwards(apps, schema_editor):
    _move(apps, "audit", "orders")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("orders", "0004_ops_desk_permission"),
        ("accounts", "0005_manage_team_permission"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
