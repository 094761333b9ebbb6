"""OrderSummary's search column becomes `search_text`: the number, customer name, reference,
e-mail and each line's SKU and description, case-folded NFC (issue #24 §17-18). It replaces
`skus`, which held only the SKUs as typed (SQLite's LIKE folds ASCII only).

Filled here exactly as the `order_summary` projector writes it (`orders.projectors.search_text`
with `common.typed_input.search_key`), so `verify_projections` finds the live rows identical to
a rebuild. The folding is written out here so that this migration keeps working whatever the
projector becomes later; historical models only.
"""

import unicodedata

from django.db import migrations, models


def _search_key(value: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", value).casefold())


def fill(apps, schema_editor):
    OrderSummary = apps.get_model("projections", "OrderSummary")
    using = schema_editor.connection.alias
    changed = []
    for row in OrderSummary.objects.using(using).iterator():
        parts = [row.number, row.customer_name, row.customer_reference, row.customer_email]
        for line in row.lines:
            parts += [line["sku"], line["description"]]
        row.search_text = _search_key("\n".join(dict.fromkeys(part for part in parts if part)))
        changed.append(row)
        if len(changed) >= 1000:
            OrderSummary.objects.using(using).bulk_update(changed, ["search_text"])
            changed = []
    OrderSummary.objects.using(using).bulk_update(changed, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0010_delete_dashboardcycle"),
    ]

    operations = [
        migrations.AddField(
            model_name="ordersummary",
            name="search_text",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="ordersummary",
            name="skus",
        ),
    ]
