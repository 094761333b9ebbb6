"""Two workers sharing companies by leases: a company whose events were committed while the
other worker held it is taken up by this worker as soon as that lease is free (the other worker
stopped, or was killed and its lease lapsed), not a sixth of a lease later at the next full
round. QA8: a commit seen while another worker held its company was forgotten (on main too:
its round after a commit was the last until a sixth of a lease); with two workers, stopping
one left its companies' mails up to 10.8 s late (PostgreSQL, real processes) instead of a
poll."""

import pytest
from django.db import connection

from outbox.worker import Worker
from tests import factories

from .subscribers import Recorder
from .test_worker_rounds import settled

pytestmark = pytest.mark.django_db


def test_a_commit_seen_under_another_workers_lease_is_taken_up_once_that_lease_is_free(
    acme, staff, clock, only_subscribers
):
    if connection.vendor != "sqlite":
        pytest.skip("two workers in one process share one PostgreSQL session and its locks")
    (recorder,) = only_subscribers(Recorder())
    holder = Worker(now=clock, monotonic=clock.monotonic, lease_seconds=60)
    other = Worker(now=clock, monotonic=clock.monotonic, lease_seconds=60)
    settled(holder)  # the first full round: acme's lease is the holder's
    settled(other)
    before = len(recorder.delivered)

    factories.place(staff)
    other.run_once()  # sees the commit; acme is the holder's
    assert len(recorder.delivered) == before
    holder.leases.release_all()  # the holder is stopped (SIGTERM) before its next round

    for _ in range(3):  # three polls: far less than a sixth of a lease
        clock.advance(seconds=0.5)
        other.run_once()

    assert len(recorder.delivered) > before
