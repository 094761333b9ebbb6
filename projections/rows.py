"""Load the rows a batch of events touches, let a projector edit them as dicts, save in bulk.

Working on plain dicts (not model instances) keeps projectors fast and makes inline updates and
rebuilds go through exactly the same code. SQL goes through `events.sqlrows`, which converts
values exactly as the ORM does.

During a rebuild (`row_cache()`), each model's RowSet lives for the whole replay: rows stay in
memory between batches and are written when evicted (least recently used first, so memory is
bounded by `max_rows`, not by the length of the log) or at the end. A row that is not in memory
is looked up in the scratch database (one query per batch for all of them), so an evicted row
comes back as it was written. Rows read from the database are written back as an UPDATE of
the columns that changed (see `RowSet._write`).
"""

from __future__ import annotations

import contextlib
import itertools
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator

from django.db import models, transaction

from events import store
from events.sqlrows import table

# Rows one RowSet keeps in memory during a rebuild (a summary row is a few KiB).
CACHE_ROWS = 12_000


def by_id(row: dict) -> Hashable:
    return row["id"]


class RowSet:
    def __init__(
        self,
        model: type[models.Model],
        using: str,
        key: Callable[[dict], Hashable] = by_id,
        *,
        cached: bool = False,
        max_rows: int | None = None,
        additive: tuple[str, ...] = (),
    ):
        self.model, self.using, self.key = model, using, key
        # Counter rows: each row holds only what this RowSet added since it last wrote it, and
        # is written as "insert, or add to the stored values" (`Table.add`): never read.
        self.additive = additive
        self.table = table(model, using)
        self.rows: OrderedDict[Hashable, dict] = OrderedDict()
        self.stored: dict[Hashable, dict] = {}  # rows as read from the database, by key
        self.dirty: set[Hashable] = set()
        self.cached, self.max_rows = cached, max_rows or CACHE_ROWS

    # --- loading ----------------------------------------------------------------------------

    def load_ids(self, ids: Iterable) -> RowSet:
        rows = self.rows
        wanted = {i for i in ids if i not in rows}
        if wanted:  # rows the command's `store.load_current` read already are not read again
            given = store.preloaded(self.model, self.using)  # None: known to have no row
            self._merge([given[i] for i in wanted if given.get(i) is not None])
            wanted -= given.keys()
        if wanted:
            self._merge(self.table.select_in(**{self.table.pk: wanted}))
        return self

    def load(self, **conditions: Iterable) -> RowSet:
        """Rows whose columns are in the given value lists (`company_id=[...]`, …)."""
        self._merge(self.table.select_in(**conditions))
        return self

    def _merge(self, rows: list[dict]) -> None:
        for row in rows:
            key = self.key(row)
            if key not in self.rows:
                self.rows[key] = row
                self.stored[key] = row.copy()

    # --- editing ----------------------------------------------------------------------------

    def get_or_add(self, key: Hashable, default: Callable[[Hashable], dict]) -> dict:
        """The row under `key` (created by `default(key)` if missing), marked for saving."""
        if key not in self.rows:
            self.rows[key] = default(key)
        return self.touch(key)

    def put(self, row: dict) -> None:
        key = self.key(row)
        self.rows[key] = row
        self.touch(key)

    def touch(self, key: Hashable) -> dict:
        if self.cached:  # every cached row is written when evicted: no dirty set to keep
            self.rows.move_to_end(key)
        else:
            self.dirty.add(key)
        return self.rows[key]

    # --- writing ----------------------------------------------------------------------------

    def save(self) -> None:
        """Upsert the changed rows; a cached RowSet only writes what it must evict."""
        if self.cached:
            self._evict()
        else:
            self.flush()

    def flush(self) -> None:
        if self.cached:
            self._write(list(self.rows.items()))
            if self.additive:  # written as deltas: keeping them would add them twice
                self.rows.clear()
        elif self.dirty:
            self._write([(key, self.rows[key]) for key in self.dirty])
            self.dirty.clear()

    def _evict(self) -> None:
        excess = len(self.rows) - self.max_rows
        if excess <= 0:
            return
        excess += self.max_rows // 5  # evict in chunks, not one row per batch
        rows = self.rows
        self._write([(key, rows.pop(key)) for key in list(itertools.islice(rows, excess))])

    def _write(self, items: list[tuple[Hashable, dict]]) -> None:
        """New rows are upserted; a row read from the database gets an UPDATE of the columns
        that changed (none: no statement). Upserting every column would rewrite the row in
        every index of the table; an UPDATE rewrites only the indexes of its columns, which
        is most of what a command writes (an order's version, approvals and authors are in
        none of its indexes).

        Projectors assign new values (`row["lines"] = [...]`), never change one in place: the
        comparison is with a shallow copy of the row as read.
        """
        if self.additive:
            self.table.add((row for _key, row in items), self.additive)
            return
        new, changed = [], []
        names = self.table.attnames
        for key, row in items:
            before = self.stored.pop(key, None)
            if before is None:
                new.append(row)
                continue
            columns = tuple(name for name in names if row[name] != before[name])
            if columns:
                changed.append((row, columns))
        if self.cached:  # a rebuild's scratch tables: a row not read from them is not there
            self.table.load_new(new)
        else:
            self.table.upsert(new)
        self.table.update(changed)


# --- rebuild sessions ---------------------------------------------------------------------------

_session: dict[tuple[type[models.Model], str], RowSet] | None = None
_session_rows = 0  # rows each RowSet of the session keeps in memory


def rows_for(
    model: type[models.Model],
    using: str,
    key: Callable[[dict], Hashable] = by_id,
    *,
    additive: tuple[str, ...] = (),
) -> RowSet:
    """The RowSet a projector should use: shared for the whole replay inside `row_cache()`.

    `additive`: the model's rows are counters whose named columns only ever grow or shrink by
    what the projector adds (see `RowSet`); such rows are never read, only added to."""
    if _session is None:
        return RowSet(model, using, key, additive=additive)
    rowset = _session.get((model, using))
    if rowset is None:
        rowset = _session[(model, using)] = RowSet(
            model, using, key, cached=True, max_rows=_session_rows, additive=additive
        )
    return rowset


@contextlib.contextmanager
def row_cache(using: str, max_rows: int | None = None) -> Iterator[None]:
    """Keep projector rows in memory across batches while replaying into an empty database, at
    most `max_rows` (default `CACHE_ROWS`) of each model (a parallel replay gives each of its
    processes a share: a stream's rows are finished when its last event is applied, so a
    smaller cache costs few lookups)."""
    global _session, _session_rows
    if _session is not None:
        raise RuntimeError("row_cache() does not nest.")
    _session, _session_rows = {}, max_rows or CACHE_ROWS
    try:
        yield
        with transaction.atomic(using=using):
            for rowset in _session.values():
                rowset.flush()
    finally:
        _session = None
