"""Load the rows a batch of events touches, let a projector edit them as dicts, save in bulk.

Working on plain dicts (not model instances) keeps projectors fast and makes inline updates and
rebuilds go through exactly the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from django.db import models

_CHUNK = 900  # stay well under SQLite's bound-parameter limit


class RowSet:
    def __init__(
        self,
        model: type[models.Model],
        using: str,
        key: Callable[[dict], Hashable] = lambda row: row["id"],
    ):
        self.model, self.using, self.key = model, using, key
        self.field_names = [f.attname for f in model._meta.concrete_fields]
        self.rows: dict[Hashable, dict] = {}
        self.dirty: set[Hashable] = set()

    def load(self, **filters) -> RowSet:
        for row in self.model.objects.using(self.using).filter(**filters).values(*self.field_names):
            self.rows[self.key(row)] = row
        return self

    def load_ids(self, ids: Iterable) -> RowSet:
        ids = list(set(ids))
        for start in range(0, len(ids), _CHUNK):
            self.load(pk__in=ids[start : start + _CHUNK])
        return self

    def get(self, key: Hashable) -> dict | None:
        return self.rows.get(key)

    def get_or_add(self, key: Hashable, default: Callable[[Hashable], dict]) -> dict:
        """The row under `key` (created by `default(key)` if missing), marked for saving."""
        if key not in self.rows:
            self.rows[key] = default(key)
        self.dirty.add(key)
        return self.rows[key]

    def put(self, row: dict) -> None:
        key = self.key(row)
        self.rows[key] = row
        self.dirty.add(key)

    def touch(self, key: Hashable) -> dict:
        self.dirty.add(key)
        return self.rows[key]

    def save(self) -> None:
        """Upsert the changed rows (INSERT … ON CONFLICT(id) DO UPDATE)."""
        if not self.dirty:
            return
        pk = self.model._meta.pk.attname
        objs = [self.model(**self.rows[key]) for key in self.dirty]
        self.model.objects.using(self.using).bulk_create(
            objs,
            batch_size=500,
            update_conflicts=True,
            unique_fields=[pk],
            update_fields=[name for name in self.field_names if name != pk],
        )
        self.dirty.clear()
