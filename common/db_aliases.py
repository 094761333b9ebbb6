"""Temporary Django database aliases: a scratch file, a restored copy, a scratch schema.

Django reads `DATABASES` once; code that needs to talk to another database for a while (a
rebuild's scratch database, a backup being checked) registers it here and takes it away again,
closing the connection this thread opened to it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connections


@contextlib.contextmanager
def temporary_alias(alias: str, *, like: str = "default", **settings) -> Iterator[str]:
    """Register `alias` as a database with the settings of `like` overridden by `settings`
    (NAME, OPTIONS, …) for the duration of the block; yields the alias. Afterwards its
    connection in this thread is closed and the alias is gone again. Raises ValueError if the
    alias is registered already (two users of one alias would close each other's connection)."""
    if alias in connections.settings:
        raise ValueError(f"The database alias {alias!r} is in use.")
    config = dict(connections.settings[like])
    config.update(CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=False, **settings)
    if "NAME" in settings:
        config["TEST"] = {**config.get("TEST", {}), "NAME": settings["NAME"]}
    connections.settings[alias] = config
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]  # this thread's connection object
        del connections.settings[alias]
