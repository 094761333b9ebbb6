"""Streaming CSV downloads: every CSV the product writes goes through `csv_response`.

It lives in `common`, beside the page plumbing (`common.pages`), below every app that exports.

What a file written here guarantees:
- No cell is run as a formula by a spreadsheet: a text cell starting with `=`, `+`, `-`, `@`, a
  tab or a carriage return gets a leading `'` (OWASP "CSV Injection"; Excel, LibreOffice and
  Google Sheets treat those characters as the start of a formula or DDE call).
- It opens as UTF-8 in spreadsheet programs: the stream starts with a byte-order mark.
- No silent truncation: the first data row is read (so the query runs) before the response is
  built, so a failure there is an error page, not a 200 with a header line only; a failure
  after the first byte ends the file with a row that says the export is incomplete.
"""

from __future__ import annotations

import csv
import itertools
import logging
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse
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


class _Line:
    """A file-like object whose write() returns the text, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """The CSV text of `header` and `rows`, one line per item, BOM first, every cell made safe.

    If reading `rows` fails part-way, the error is logged and the last line says the file is
    incomplete (with the request id), instead of the file just stopping.
    """
    writer = csv.writer(_Line())
    yield BOM + writer.writerow([safe_cell(cell) for cell in header])
    try:
        for row in rows:
            yield writer.writerow([safe_cell(cell) for cell in row])
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
    filename: str, header: Sequence[str], rows: Iterable[Sequence]
) -> StreamingHttpResponse:
    """A streaming `text/csv` attachment named `filename` with `header` and `rows`.

    `rows` is any iterable of cell sequences (a generator reading the database in chunks keeps
    memory bounded). Its first item is read here, before any byte is sent: an error in the query
    raises now (an error page), not in the middle of a 200.
    """
    rows = iter(rows)
    first = list(itertools.islice(rows, 1))
    response = StreamingHttpResponse(
        csv_lines(header, itertools.chain(first, rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
