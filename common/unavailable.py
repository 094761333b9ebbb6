"""The 500 handler that tells "the database cannot take writes" apart from a bug (#24 §21).

A read-only database (file, directory or mount; PostgreSQL in recovery or read-only) or a full
disk is an outage, not a bug: the request answers 503 with a page saying so (and
`Retry-After`), and the write's transaction has rolled back, so nothing is half-written.
Anything else stays Django's 500.
"""

from __future__ import annotations

import sys

from django.db import DatabaseError
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.defaults import server_error

from .bad_request import is_api, problem

# What SQLite and PostgreSQL say when they cannot write (their messages, lower-cased).
_CANNOT_WRITE = (
    "readonly database",
    "read-only",
    "query_only",
    "database or disk is full",
    "disk is full",
    "no space left on device",
    "could not extend file",
)


def cannot_write(error: BaseException | None) -> bool:
    """Whether `error` is the database refusing writes (read-only, full), not a bug."""
    return isinstance(error, DatabaseError) and any(
        words in str(error).lower() for words in _CANNOT_WRITE
    )


def server_error_or_unavailable(request, *args, **kwargs):
    """`handler500`: 503 (`503.html`) when the database cannot take writes, else Django's 500;
    on the API, the same statuses as problem+json."""
    error = sys.exc_info()[1]
    unavailable = cannot_write(error) or cannot_write(getattr(error, "__cause__", None))
    if is_api(request):  # the API answers problem+json, whatever went wrong
        if unavailable:
            response = problem(503, gettext("The database cannot take writes at the moment."))
            response["Retry-After"] = "60"
            return response
        return problem(500, gettext("Something went wrong on our side; it has been logged."))
    if unavailable:
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "60"
        return response
    return server_error(request, *args, **kwargs)
