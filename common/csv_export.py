"""Streaming CSV downloads: every CSV the product writes goes through `csv_response`.

It lives in `common`, beside the page plumbing (`common.pages`), below every app that exports.

What a file written here guarantees:
- No cell is run as a formula by a spreadsheet: a text cell starting with `=`, `+`, `-`, `@`, a
  tab or a carriage return gets a leading `'` (OWASP "CSV Injection"; Excel, LibreOffice and
  Google Sheets treat those characters as the start of a formula or DDE call).
- It opens as UTF-8 in spreadsheet programs: the stream starts with a byte-order mark.
- Cells a spreadsheet can compute with (issue #29): amounts are numbers (`Decimal`), times are
  datetimes, written per the file's `Dialect`. The standard file: comma-separated, numbers
  with a decimal point ("1234.50"), times ISO 8601 with their offset
  ("2026-03-29T01:15:00+00:00"). `?dialect=excel-de` (`EXCEL_DE`), for spreadsheets set to
  German and other decimal-comma locales (Excel, LibreOffice Calc): semicolon-separated,
  decimal comma ("1234,50"), times as the reader's local "2026-03-29 03:15:00" (the form
  those programs read as a date and time), so totals can be summed and times sorted.
- No silent truncation: the first data row is read (so the query runs) before the response is
  built, so a failure there is an error page, not a 200 with a header line only; a failure
  after the first byte ends the file with a row that says the export is incomplete.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from .request_context import current_request_id

logger = logging.getLogger("ledgerline.export")

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
INCOMPLETE_MARKER = "EXPORT INCOMPLETE"


def safe_cell(value):
    """`value` as a spreadsheet will not evaluate it: text starting with a formula character gets
    a leading apostrophe; numbers and other values are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclasses.dataclass(frozen=True)
class Dialect:
    """How a CSV file writes its cells: the cell separator, the decimal mark of numbers, and
    times as ISO 8601 with the offset (`local_times=False`) or as the active zone's local
    "YYYY-MM-DD HH:MM:SS"."""

    name: str
    delimiter: str = ","
    decimal_mark: str = "."
    local_times: bool = False

    def cell(self, value):
        """`value` as this file writes it (text still goes through `safe_cell`)."""
        if isinstance(value, dt.datetime):
            if not self.local_times:
                return value.isoformat()
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            return local.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, Decimal):
            return f"{value:f}".replace(".", self.decimal_mark)
        return safe_cell(value)


STANDARD = Dialect("standard")
EXCEL_DE = Dialect("excel-de", delimiter=";", decimal_mark=",", local_times=True)
DIALECTS = {"": STANDARD, STANDARD.name: STANDARD, EXCEL_DE.name: EXCEL_DE}


def csv_dialect(request) -> Dialect:
    """The dialect a download's `?dialect=` names: `excel-de`, else the standard file (an
    unknown name too: the standard file is the one every program reads)."""
    return DIALECTS.get(request.GET.get("dialect", "").strip().lower(), STANDARD)


class _Line:
    """A file-like object whose write() returns the text, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Sequence[str], rows: Iterable[Sequence], dialect: Dialect = STANDARD
) -> Iterator[str]:
    """The CSV text of `header` and `rows`, one line per item, BOM first, every cell made safe
    and written as `dialect` says (numbers, times, separator).

    If reading `rows` fails part-way, the error is logged and the last line says the file is
    incomplete (with the request id), instead of the file just stopping.
    """
    writer = csv.writer(_Line(), delimiter=dialect.delimiter)
    yield BOM + writer.writerow([safe_cell(cell) for cell in header])
    try:
        for row in rows:
            yield writer.writerow([dialect.cell(cell) for cell in row])
    except Exception:
        logger.exception("CSV export failed part-way")
        yield writer.writerow(
            [
                INCOMPLETE_MARKER,
                "The export failed part-way: this file is incomplete. "
                f"Request id {current_request_id()}.",
            ]
        )


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence], dialect: Dialect = STANDARD
) -> StreamingHttpResponse:
    """A streaming `text/csv` attachment named `filename` with `header` and `rows`.

    `rows` is any iterable of cell sequences (a generator reading the database in chunks keeps
    memory bounded). Its first item is read here, before any byte is sent: an error in the query
    raises now (an error page), not in the middle of a 200.
    """
    rows = iter(rows)
    first = list(itertools.islice(rows, 1))
    response = StreamingHttpResponse(
        csv_lines(header, itertools.chain(first, rows), dialect),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _as_is(value: Any) -> Any:
    return value


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of an export: its `header`, the row's `field` it reads (a key of a dict row,
    else an attribute) and how the value becomes a `cell` (as it is by default). An export is
    one tuple of these: header, source and cell said once, side by side."""

    header: str
    field: str
    cell: Callable[[Any], Any] = _as_is


def headers(columns: Sequence[Column]) -> list[str]:
    """The header line of an export's columns."""
    return [column.header for column in columns]


def cells(columns: Sequence[Column], row: Mapping | object) -> list:
    """One row's cells, column by column."""
    if isinstance(row, Mapping):
        return [column.cell(row[column.field]) for column in columns]
    return [column.cell(getattr(row, column.field)) for column in columns]


def iso(moment):
    """A datetime cell: written by the file's `Dialect` (ISO 8601 with its offset in the
    standard file, local time in `excel-de`)."""
    return moment
