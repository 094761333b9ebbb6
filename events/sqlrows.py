"""Fast row access for hot paths (inline projections, rebuilds, log scans).

Builds each model's SQL once and converts values exactly as the ORM would (the backend's and
the field's own converters on the way out of the database, `get_db_prep_save` on the way in),
so rows written here read back through the ORM unchanged, and vice versa. It skips only the
ORM's per-query compilation, which dominates the cost of the many tiny queries a command makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from django.db import connections, models

_CHUNK = 500  # IN-list size: well under SQLite's bound-parameter limit


class Table:
    """One model's columns, converters and statements on one database alias."""

    def __init__(self, model: type[models.Model], using: str):
        self.model, self.using = model, using
        connection = connections[using]
        qn = connection.ops.quote_name
        fields = list(model._meta.concrete_fields)
        self.fields = fields
        self.attnames = [f.attname for f in fields]
        self.table = qn(model._meta.db_table)
        self.columns = ", ".join(qn(f.column) for f in fields)
        self.column_of = {f.attname: qn(f.column) for f in fields}
        self.field_of = {f.attname: f for f in fields}
        pk = model._meta.pk
        self.pk = pk.attname
        updates = ", ".join(
            f"{qn(f.column)} = excluded.{qn(f.column)}" for f in fields if f is not pk
        )
        placeholders = ", ".join(["%s"] * len(fields))
        self.upsert_sql = (
            f"INSERT INTO {self.table} ({self.columns}) VALUES ({placeholders}) "
            f"ON CONFLICT ({qn(pk.column)}) DO UPDATE SET {updates}"
        )
        self.insert_sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({placeholders})"
        self.converters = []
        for index, field in enumerate(fields):
            col = field.get_col(model._meta.db_table)
            funcs = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            if funcs:
                self.converters.append((index, funcs, col))

    def prep(self, attname: str, value) -> Any:
        """`value` as the database stores it in column `attname` (for hand-written SQL)."""
        return self.field_of[attname].get_db_prep_value(
            value, connections[self.using], prepared=False
        )

    def _convert(self, raw: Sequence) -> dict:
        values = list(raw)
        connection = connections[self.using]
        for index, funcs, col in self.converters:
            value = values[index]
            for func in funcs:
                value = func(value, col, connection)
            values[index] = value
        return dict(zip(self.attnames, values, strict=True))

    def select(self, where: str = "", params: Sequence = (), tail: str = "") -> list[dict]:
        sql = f"SELECT {self.columns} FROM {self.table}"
        if where:
            sql += f" WHERE {where}"
        if tail:
            sql += f" {tail}"
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)
            return [self._convert(row) for row in cursor.fetchall()]

    def select_in(self, **conditions: Iterable) -> list[dict]:
        """Rows where each named column is in its list of values (chunked on the first)."""
        (first, first_values), *rest = conditions.items()
        first_values = list(dict.fromkeys(first_values))
        rest_sql, rest_params = [], []
        for attname, values in rest:
            values = list(dict.fromkeys(values))
            if not values:
                return []
            rest_sql.append(f"{self.column_of[attname]} IN ({', '.join(['%s'] * len(values))})")
            rest_params += [self.prep(attname, v) for v in values]
        rows: list[dict] = []
        for start in range(0, len(first_values), _CHUNK):
            chunk = first_values[start : start + _CHUNK]
            clauses = [f"{self.column_of[first]} IN ({', '.join(['%s'] * len(chunk))})", *rest_sql]
            params = [self.prep(first, v) for v in chunk] + rest_params
            rows += self.select(" AND ".join(clauses), params)
        return rows

    def _row_params(self, row: dict) -> list:
        connection = connections[self.using]
        return [f.get_db_prep_save(row[f.attname], connection) for f in self.fields]

    def upsert(self, rows: Iterable[dict]) -> None:
        params = [self._row_params(row) for row in rows]
        if params:
            with connections[self.using].cursor() as cursor:
                cursor.executemany(self.upsert_sql, params)

    def insert(self, rows: Iterable[dict]) -> None:
        params = [self._row_params(row) for row in rows]
        if params:
            with connections[self.using].cursor() as cursor:
                cursor.executemany(self.insert_sql, params)


@cache
def _table(model: type[models.Model], using: str, vendor: str, alias_settings: str) -> Table:
    return Table(model, using)


def table(model: type[models.Model], using: str = "default") -> Table:
    """The cached `Table` of `model` on the database alias `using`."""
    connection = connections[using]
    return _table(model, using, connection.vendor, str(connection.settings_dict.get("NAME")))
