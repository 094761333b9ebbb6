"""The entry point of a worker process of a parallel replay (`projections.replaying`).

Started with multiprocessing's "spawn" method: a fresh interpreter that shares nothing with
the rebuild's process but what it is handed (plain data and two shared counters). So this module
imports nothing of ours at the top: unpickling `run` must work before Django is set up.
"""

from __future__ import annotations

import os


def run(task: dict, next_range, done) -> None:
    """Set Django up as the parent has it (its settings module, its live database's settings:
    under pytest a test database) and replay ranges of streams into this worker's scratch
    database (`replaying.replay_part`)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = task["settings_module"]
    import django
    from django.conf import settings

    # Before setting up: an app's `ready` may open a connection, which keeps the settings it
    # was made with.
    settings.DATABASES.update(task["databases"])
    django.setup()
    from projections import replaying

    replaying.replay_part(task, next_range, done)
