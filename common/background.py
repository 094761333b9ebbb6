"""A small bounded background worker for work that must not run on the request path.

The password-reset request (issue #24 item 10) must answer the same way and in the same time
whether or not the address belongs to a user: looking the address up and sending the mail on
the request path would tell an attacker which addresses exist (a mail server's 0.3 s). So the
request only hands the address to this worker, after its transaction commits (Django's
`transaction.on_commit`), and answers.

One daemon thread per process takes jobs from a queue of at most `MAX_PENDING`; when the queue
is full the job is dropped and logged (the answer stays the same: a reset is asked again). A
job's exception is logged, never raised. The worker uses its own database connections and closes
them after each job. This is an interim home: the outbox worker (a separate process following the
log) is meant to take the sending over.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from django.db import close_old_connections, connections, transaction

logger = logging.getLogger("ledgerline.background")

MAX_PENDING = 100

_jobs: queue.Queue = queue.Queue(maxsize=MAX_PENDING)
_started = threading.Lock()
_worker: threading.Thread | None = None


def submit_on_commit(job: Callable[..., None], *args, **kwargs) -> None:
    """Run `job(*args, **kwargs)` on the background worker once the current transaction commits
    (at once outside a transaction); nothing runs if it rolls back."""
    transaction.on_commit(lambda: submit(job, *args, **kwargs))


def submit(job: Callable[..., None], *args, **kwargs) -> bool:
    """Queue `job` for the worker; False (and a warning) when MAX_PENDING jobs are waiting."""
    _ensure_worker()
    try:
        _jobs.put_nowait((job, args, kwargs))
    except queue.Full:
        logger.warning("background queue full: %s dropped", getattr(job, "__name__", job))
        return False
    return True


def wait_idle() -> None:
    """Block until every queued job has run (tests and an orderly shutdown)."""
    _jobs.join()


def _ensure_worker() -> None:
    global _worker
    with _started:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_run, name="ledgerline-background", daemon=True)
            _worker.start()


def _run() -> None:
    while True:
        job, args, kwargs = _jobs.get()
        try:
            close_old_connections()
            job(*args, **kwargs)
        except Exception:
            logger.exception("background job %s failed", getattr(job, "__name__", job))
        finally:
            connections.close_all()  # this thread's connections only
            _jobs.task_done()
