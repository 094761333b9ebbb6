"""SQLite specifics shared by the event core's tools (rebuild's scratch file, backups)."""

from __future__ import annotations

from django.db import connections


def database_path(using: str) -> str | None:
    """The file of a file-based SQLite database (None for in-memory ones and other vendors)."""
    connection = connections[using]
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name.startswith("file:") or name == ":memory:":
        return None
    return name
