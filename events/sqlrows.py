"""Fast row access for hot paths (inline projections, rebuilds, log scans).

Builds each model's SQL once and converts values exactly as the ORM does, so rows written here
read back through the ORM unchanged, and vice versa. It skips the ORM's per-query compilation,
which dominates the cost of the many tiny queries a command makes.

On SQLite, the common field types (UUID, datetime, date, JSON) use direct adapters that produce
the very values Django's SQLite backend produces (`tests/events/test_sqlrows.py` checks them
against the ORM); other fields and other databases go through the fields' own methods.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from functools import cache, lru_cache
from typing import Any

from django.conf import settings
from django.db import connections, models

_CHUNK = 500  # IN-list size: well under SQLite's bound-parameter limit
_UTC = dt.UTC


@lru_cache(maxsize=32_768)
def uuid_from_hex(value: str) -> uuid.UUID:
    # The same few thousand order/company ids come back again and again in a replay (bounded:
    # the cache is part of a rebuild's memory budget).
    return uuid.UUID(value)


def aware_from_text(text: str) -> dt.datetime:
    """A stored DateTimeField value (naive UTC text, as Django writes it) as an aware datetime.

    Parsing with the offset appended is several times faster than `.replace(tzinfo=…)`."""
    try:
        return _fromisoformat(text + "+00:00")
    except ValueError:  # not the usual shape (already carries an offset, say): the long way
        value = _fromisoformat(text)
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value


_fromisoformat = dt.datetime.fromisoformat


def _to_datetime(value) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        return aware_from_text(value)
    # The driver may already have parsed it (decltype).
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value


def _to_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _sqlite_converter(field: models.Field) -> Callable[[Any], Any] | None:
    """A direct equivalent of Django's SQLite converters for this field, if it has one."""
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if isinstance(field, models.UUIDField):
        return lambda v: None if v is None else uuid_from_hex(v)
    if isinstance(field, models.DateTimeField) and settings.USE_TZ:
        return _to_datetime
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        return _to_date
    if isinstance(field, models.JSONField) and field.decoder is None:
        return lambda v: None if v is None else json.loads(v)
    return None


def _sqlite_adapter(field: models.Field, connection) -> Callable[[Any], Any] | None:
    """A direct equivalent of `get_db_prep_save` on SQLite for the usual values of this field.

    Values of any other shape take Django's own path (`generic`), warnings and all.
    """
    generic = _generic_adapter(field, connection)
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if isinstance(field, models.UUIDField):
        return lambda v: v.hex if isinstance(v, uuid.UUID) else generic(v)
    if isinstance(field, models.DateTimeField) and settings.USE_TZ:

        def naive_utc_text(v):
            if type(v) is dt.datetime:
                if v.tzinfo is _UTC:  # the usual case: ISO text less its "+00:00"
                    return v.isoformat(" ")[:-6]
                if v.tzinfo is not None:
                    return str(v.astimezone(_UTC).replace(tzinfo=None))
            elif isinstance(v, dt.datetime) and v.tzinfo is not None:
                return str(v.astimezone(_UTC).replace(tzinfo=None))
            return generic(v)

        return naive_utc_text
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        return lambda v: str(v) if type(v) is dt.date else generic(v)
    if isinstance(field, models.JSONField) and field.encoder is None:
        return lambda v: json.dumps(v) if v is not None else generic(v)
    if isinstance(field, (models.CharField, models.TextField)):
        return lambda v: v if isinstance(v, str) else generic(v)
    if isinstance(field, models.IntegerField):
        return lambda v: v if type(v) is int else generic(v)
    return None


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
        self._update_statements: dict[tuple[str, ...], str] = {}
        # The direct SQLite paths assume Django's defaults: UTC storage (no TIME_ZONE override).
        sqlite = connection.vendor == "sqlite" and not connection.settings_dict.get("TIME_ZONE")
        self.converters: list[tuple[int, Callable[[Any], Any]]] = []
        self.adapters: list[Callable[[Any], Any]] = []
        for index, field in enumerate(fields):
            convert = _sqlite_converter(field) if sqlite else None
            if convert is None:
                convert = _generic_converter(field, model, connection)
            if convert is not None:
                self.converters.append((index, convert))
            adapt = _sqlite_adapter(field, connection) if sqlite else None
            self.adapters.append(adapt or _generic_adapter(field, connection))
        self.adapter_of = dict(zip(self.attnames, self.adapters, strict=True))

    def prep(self, attname: str, value) -> Any:
        """`value` as the database stores it in column `attname` (for hand-written SQL)."""
        return self.adapter_of[attname](value)

    def convert(self, raw: Sequence) -> dict:
        """A row as the database returned it (columns in `attnames` order), as a dict of
        Python values, converted as the ORM converts them."""
        values = list(raw)
        for index, convert in self.converters:
            values[index] = convert(values[index])
        return dict(zip(self.attnames, values, strict=True))

    def select(self, where: str = "", params: Sequence = (), tail: str = "") -> list[dict]:
        sql = f"SELECT {self.columns} FROM {self.table}"
        if where:
            sql += f" WHERE {where}"
        if tail:
            sql += f" {tail}"
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)
            return [self.convert(row) for row in cursor.fetchall()]

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
            clauses = [
                f"{self.column_of[first]} IN ({', '.join(['%s'] * len(chunk))})",
                *rest_sql,
            ]
            params = [self.prep(first, v) for v in chunk] + rest_params
            rows += self.select(" AND ".join(clauses), params)
        return rows

    def _row_params(self, row: dict) -> list:
        return [adapt(row[name]) for name, adapt in zip(self.attnames, self.adapters, strict=True)]

    def upsert(self, rows: Iterable[dict]) -> None:
        """INSERT … ON CONFLICT (pk) DO UPDATE, in chunks (bounded memory for big flushes)."""
        self._execute_many(self.upsert_sql, rows)

    def update(self, rows_and_columns: Iterable[tuple[dict, tuple[str, ...]]]) -> None:
        """For each (row, attnames): UPDATE those columns of the row with its primary key."""
        groups: dict[tuple[str, ...], list[list]] = {}
        pk, adapt_pk = self.pk, self.adapter_of[self.pk]
        for row, attnames in rows_and_columns:
            adapters = self.adapter_of
            params = [adapters[name](row[name]) for name in attnames]
            params.append(adapt_pk(row[pk]))
            groups.setdefault(attnames, []).append(params)
        if not groups:
            return
        with connections[self.using].cursor() as cursor:
            for attnames, params in groups.items():
                cursor.executemany(self._update_sql(attnames), params)

    def _update_sql(self, attnames: tuple[str, ...]) -> str:
        sql = self._update_statements.get(attnames)
        if sql is None:
            assignments = ", ".join(f"{self.column_of[name]} = %s" for name in attnames)
            sql = f"UPDATE {self.table} SET {assignments} WHERE {self.column_of[self.pk]} = %s"
            self._update_statements[attnames] = sql
        return sql

    def insert(self, rows: Iterable[dict]) -> None:
        self._execute_many(self.insert_sql, rows)

    def load_new(self, rows: Iterable[dict]) -> None:
        """Insert rows known to be new (a rebuild's scratch tables): COPY on PostgreSQL (one
        stream of rows, no statement per row), batched INSERTs elsewhere."""
        connection = connections[self.using]
        if connection.vendor != "postgresql":
            self.insert(rows)
            return
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(self._row_params(row))

    def insert_new(self, rows: Sequence[dict]) -> int:
        """Insert `rows` in one statement, skipping any that would break a unique constraint
        (`ON CONFLICT DO NOTHING`: no error, so no savepoint is needed to carry on after one on
        PostgreSQL). Returns how many rows went in."""
        one = f"({', '.join(['%s'] * len(self.attnames))})"
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.table} ({self.columns}) VALUES "
                f"{', '.join([one] * len(rows))} ON CONFLICT DO NOTHING",
                [value for row in rows for value in self._row_params(row)],
            )
            return cursor.rowcount

    def add(self, rows: Iterable[dict], columns: Sequence[str]) -> None:
        """Insert each row, or, where its primary key exists, add its `columns` to the stored
        ones (counters and sums: the caller holds only what changed, never reads the row).
        Many rows per statement (a multi-row VALUES), in chunks."""
        qn = connections[self.using].ops.quote_name
        table = self.table
        sets = ", ".join(
            f"{self.column_of[name]} = {table}.{self.column_of[name]} + "
            f"excluded.{self.column_of[name]}"
            for name in columns
        )
        one = f"({', '.join(['%s'] * len(self.attnames))})"
        rows = iter(rows)
        with connections[self.using].cursor() as cursor:
            while chunk := list(itertools.islice(rows, 100)):
                cursor.execute(
                    f"INSERT INTO {table} ({self.columns}) VALUES {', '.join([one] * len(chunk))} "
                    f"ON CONFLICT ({qn(self.field_of[self.pk].column)}) DO UPDATE SET {sets}",
                    [value for row in chunk for value in self._row_params(row)],
                )

    def insert_numbered(self, rows: Sequence[dict], number: str, within: str) -> int:
        """Insert each row with `number` set to one more than the highest in the table among
        rows with the same `within` value (1 for the first), counted by the INSERT itself
        (a (within, number) index finds the highest in a step): gap-free numbering inside a
        group. A row that would break a unique constraint is skipped (`ON CONFLICT DO
        NOTHING`, as `insert_new`). Returns how many rows went in.

        One statement per row, each seeing the rows before it (the same transaction), so
        several rows of one group get consecutive numbers on SQLite and PostgreSQL alike."""
        names = [name for name in self.attnames if name != number]
        columns = ", ".join(self.column_of[name] for name in names)
        number_column, within_column = self.column_of[number], self.column_of[within]
        # The WHERE clause also keeps SQLite from reading `ON CONFLICT` as a join's `ON`
        # (https://sqlite.org/lang_upsert.html, "Parsing Ambiguity").
        sql = (
            f"INSERT INTO {self.table} ({columns}, {number_column}) "
            f"SELECT {', '.join(['%s'] * len(names))}, COALESCE(MAX({number_column}), 0) + 1 "
            f"FROM {self.table} WHERE {within_column} = %s ON CONFLICT DO NOTHING"
        )
        adapters = self.adapter_of
        params = [
            [adapters[name](row[name]) for name in names] + [adapters[within](row[within])]
            for row in rows
        ]
        inserted = 0
        with connections[self.using].cursor() as cursor:
            for each in params:  # not executemany: its rowcount differs between drivers
                cursor.execute(sql, each)
                inserted += cursor.rowcount
        return inserted

    def _execute_many(self, sql: str, rows: Iterable[dict]) -> None:
        rows = iter(rows)
        with connections[self.using].cursor() as cursor:
            while chunk := [self._row_params(row) for row in itertools.islice(rows, 1000)]:
                cursor.executemany(sql, chunk)


def _generic_converter(field, model, connection) -> Callable[[Any], Any] | None:
    col = field.get_col(model._meta.db_table)
    funcs = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
    if not funcs:
        return None

    def convert(value):
        for func in funcs:
            value = func(value, col, connection)
        return value

    return convert


def _generic_adapter(field, connection) -> Callable[[Any], Any]:
    return lambda value: field.get_db_prep_save(value, connection)


@cache
def _table(model: type[models.Model], using: str, vendor: str, name: str) -> Table:
    return Table(model, using)


def table(model: type[models.Model], using: str = "default") -> Table:
    """The cached `Table` of `model` on the database alias `using`."""
    connection = connections[using]
    return _table(model, using, connection.vendor, str(connection.settings_dict.get("NAME")))
