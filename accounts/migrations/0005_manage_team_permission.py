"""The `manage_team` permission (the /team/ page and accounts/commands.py), granted to Manager."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; make sure this one exists now.
    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="accounts", codename="manage_team")
    manager, _ = Group.objects.get_or_create(name="Manager")
    manager.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Manager"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="accounts", codename="manage_team")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_delete_access_version"),
        ("orders", "0002_role_permissions"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [("manage_team", "Can manage the company's team")],
                "verbose_name": "user",
                "verbose_name_plural": "users",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
