"""The entry point of a worker process of a parallel replay (`projections.replaying`).

Started with multiprocessing's "spawn" method: a fresh interpreter that shares nothing with
the rebuild's process but what it is handed (plain data and two shared counters). So this module
imports nothing of ours at the top: unpickling `run` must work before Django is set up.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any


@dataclasses.dataclass
class Shared:
    """What the processes of one parallel replay share (multiprocessing's shared memory; handed
    to each worker when it starts)."""

    next_range: Any  # Value: the index of the next range not taken yet (its lock: `take`'s)
    taken: Any  # Array: ranges taken, per process (0: this one, then the workers)
    done: Any  # Array: events applied, per process

    def take(self, ranges: int, process: int) -> int | None:
        """The index of the next range not taken yet, now `process`'s; None: none is left."""
        with self.next_range.get_lock():
            index = self.next_range.value
            if index >= ranges:
                return None
            self.next_range.value += 1
            self.taken[process] += 1
            return index

    def idle(self, ranges: int, workers: list) -> list:
        """The workers that took no range, if none is left: none ever will."""
        with self.next_range.get_lock():
            if self.next_range.value < ranges:
                return []
            return [w for n, w in enumerate(workers, start=1) if not self.taken[n]]


def run(task: dict, shared: Shared) -> None:
    """Set Django up as the parent has it (its settings module, its live database's settings:
    under pytest a test database), then call `task["entry"]` (a dotted path, given by the
    parent: `replaying.replay_part`, which replays ranges of streams into this worker's scratch
    database) with the task and `shared`."""
    os.environ["DJANGO_SETTINGS_MODULE"] = task["settings_module"]
    import django
    from django.conf import settings

    # Before setting up: an app's `ready` may open a connection, which keeps the settings it
    # was made with.
    settings.DATABASES.update(task["databases"])
    django.setup()
    from django.utils.module_loading import import_string

    import_string(task["entry"])(task, shared)
