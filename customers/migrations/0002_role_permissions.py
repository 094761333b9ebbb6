from django.contrib.auth.management import create_permissions
from django.db import migrations

# A frozen copy of what `orders.permissions.ROLE_PERMISSIONS` grants of this app (issue #30):
# Staff take orders, so they look up, add and correct customers; the price list (SKUs and their
# default prices) and deactivating anything are a Manager's.
GRANTS = {
    "Staff": ["view_customer", "add_customer", "change_customer", "view_sku"],
    "Manager": [
        "view_customer",
        "add_customer",
        "change_customer",
        "deactivate_customer",
        "view_sku",
        "add_sku",
        "change_sku",
        "deactivate_sku",
    ],
    "Auditor": ["view_customer", "view_sku"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("customers")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="customers", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="customers"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_customers_and_skus"),
        ("accounts", "0002_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
