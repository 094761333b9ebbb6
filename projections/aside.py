"""What building read models aside means on any database: the scratch alias, the row
comparison, the differences. The loop is `engine.rebuild`/`engine.verify`; each database's part
(where the scratch rows live, how the live rows are locked and replaced) is a module of its own
with the same functions: `aside_sqlite` and `aside_postgres`.

A database module provides:
- `scratch(using)`: a context manager that registers `SCRATCH_ALIAS` for a fresh, empty scratch
  database and yields its name (a file path, a schema), removing it afterwards;
- `prepare(using)`: tune the live connection for one long sequential read;
- `locked(name, using)`: a context manager holding the writers' lock (no append can happen) with
  the scratch tables visible to the yielded cursor of the live connection;
- `replace_rows(cursor, name, model)`: the live table's rows become the scratch table's;
- `schemas(cursor, name)`: (live schema, scratch schema) as seen from that cursor;
- `log_from_scratch(using)`: a context manager yielding the live event table's name as the
  scratch connection can read it (for projections built in SQL: `Projection.build_from_log`);
- `parts(using, count)`: a context manager making `count` more scratch databases for the
  worker processes of a parallel replay (`projections.replaying`), yielding each one's
  (name, settings of a connection to it), removing them afterwards;
- `part_schema(name)`: a context manager yielding the schema under which the scratch
  connection reads the part `name` (for `merge`).
"""

from __future__ import annotations

import dataclasses
import uuid

from django.db import connections, transaction

SCRATCH_ALIAS = "projections_scratch"


@dataclasses.dataclass
class Difference:
    projection: str
    table: str
    row_id: str
    problem: str  # "missing", "unexpected" or "differs: col1, col2"


def columns(model) -> str:
    return ", ".join(f'"{f.column}"' for f in model._meta.concrete_fields)


def merge(projections, part: str) -> None:
    """Add the rows of a worker's part (readable as the schema `part`) to the scratch tables,
    in one transaction. A model in its projection's `sums` has each row's summed columns added
    to the row already there with the same primary key (partial sums of the same totals); any
    other row already there is a primary key conflict, which raises: two processes wrote the
    same row, which a stream-local projection never does."""
    with transaction.atomic(using=SCRATCH_ALIAS), connections[SCRATCH_ALIAS].cursor() as cursor:
        for projection in projections:
            for model in projection.models:
                db_table, cols = model._meta.db_table, columns(model)
                pk = model._meta.pk.column
                # `WHERE true`: else SQLite reads `ON CONFLICT` as a join's `ON`
                # (https://sqlite.org/lang_upsert.html, "Parsing Ambiguity").
                sql = (
                    f'INSERT INTO "{db_table}" ({cols}) '
                    f'SELECT {cols} FROM "{part}"."{db_table}" WHERE true ORDER BY "{pk}"'
                )
                sums = projection.sums.get(model, ())
                summed = [model._meta.get_field(name).column for name in sums]
                if summed:
                    sql += f' ON CONFLICT ("{pk}") DO UPDATE SET ' + ", ".join(
                        f'"{column}" = "{db_table}"."{column}" + excluded."{column}"'
                        for column in summed
                    )
                cursor.execute(sql)


def compare(
    cursor, name: str, model, limit: int, live_schema: str, scratch_schema: str
) -> list[Difference]:
    """The rows that differ between the live table and the scratch one (EXCEPT, both ways)."""
    db_table, cols = model._meta.db_table, columns(model)
    live, scratch = f'"{live_schema}"."{db_table}"', f'"{scratch_schema}"."{db_table}"'
    fields = [f.column for f in model._meta.concrete_fields]
    found: dict[str, Difference] = {}
    cursor.execute(
        f"SELECT {cols} FROM {live} EXCEPT SELECT {cols} FROM {scratch} LIMIT %s",
        [limit],
    )
    live_rows = {row[0]: row for row in cursor.fetchall()}
    cursor.execute(
        f"SELECT {cols} FROM {scratch} EXCEPT SELECT {cols} FROM {live} LIMIT %s",
        [limit],
    )
    expected_rows = {row[0]: row for row in cursor.fetchall()}
    for row_id in sorted(set(live_rows) | set(expected_rows), key=str):
        live_row, expected_row = live_rows.get(row_id), expected_rows.get(row_id)
        if expected_row is None:
            problem = "unexpected row (not produced by the log)"
        elif live_row is None:
            problem = "missing row (the log produces it)"
        else:
            changed = [
                f"{field}: live={live_value!r} expected={expected_value!r}"
                for field, live_value, expected_value in zip(
                    fields, live_row, expected_row, strict=True
                )
                if live_value != expected_value
            ]
            problem = "differs: " + "; ".join(changed)
        # A UUID key as SQLite stores it (32 hex digits), whichever database returned it.
        key = row_id.hex if isinstance(row_id, uuid.UUID) else str(row_id)
        found[key] = Difference(name, db_table, key, problem)
    return list(found.values())
