"""The read models as tests see them: raw-SQL snapshots to compare, ways to tamper with them,
and the management commands that rebuild, verify and report on them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from projections.models import ProjectionCheckpoint
from projections.registry import get_projections

CHECKPOINTS = ProjectionCheckpoint._meta.db_table


def wipe(tables: list[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'DELETE FROM "{table}"')


def new_projection(name: str) -> None:
    """Make the projection look newly added: no rows, no checkpoint."""
    wipe(tables_of(name))
    ProjectionCheckpoint.objects.filter(name=name).delete()


def tables_of(*names: str) -> list[str]:
    """The tables the named projections own (all projections' when no name is given)."""
    return [model._meta.db_table for p in get_projections(names) for model in p.models]


def read_model_tables() -> list[str]:
    """Every table a projection writes, plus the checkpoints."""
    return [*tables_of(), CHECKPOINTS]


def table_rows(table: str) -> list[tuple]:
    """The table's rows exactly as stored, in a stable order."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}"')
        return sorted(cursor.fetchall(), key=repr)


def snapshot(tables: list[str] | None = None) -> dict[str, list[tuple]]:
    return {table: table_rows(table) for table in tables or read_model_tables()}


def run(command: str, *args, stdout=None, **options) -> str:
    """Run a management command and return what it printed."""
    out = stdout if stdout is not None else StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue()


def verify_differences(*names: str) -> str:
    """Run verify_projections, which must fail, and return the differences it printed."""
    out = StringIO()
    with pytest.raises(CommandError, match=r"differing row\(s\)"):
        call_command("verify_projections", *names, stdout=out)
    return out.getvalue()
