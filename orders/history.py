"""Streaming CSV: a file-like object for `csv.writer` whose writes become response chunks."""

from __future__ import annotations


class Echo:
    """A file-like object whose write() returns the line, for csv.writer + streaming."""

    def write(self, value: str) -> str:
        return value
