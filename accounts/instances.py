"""Model instances read through `events.sqlrows`, for the per-request and per-command lookups.

`Model.objects.get()` compiles its query on every call, which costs about ten times the indexed
lookup itself; these reads run on every request (user, company, session) and on every order page
and command. The instance is built as the ORM builds it (`Model.from_db`).
"""

from __future__ import annotations

from django.db import models

from events import sqlrows


def select_instance(model: type[models.Model], where: str, **values) -> models.Model | None:
    """The first row of `model` matching `where`, as a model instance, or None.

    `where` names columns by attname in braces and has one `%s` per entry of `values`, in order:
    `select_instance(Order, "{company_id} = %s AND {id} = %s", company_id=…, id=…)`. Each value
    is adapted as its column stores it.
    """
    table = sqlrows.table(model)
    params = [table.prep(attname, value) for attname, value in values.items()]
    rows = table.select(where.format_map(table.column_of), params)
    if not rows:
        return None
    return model.from_db(table.using, table.attnames, [rows[0][name] for name in table.attnames])
