"""The worker's rounds in one process, its clock injected: an idle round asks the database two
or three questions instead of every subscriber of every company; a commit brings a round over
its own company only; a due item or the passing of a sixth of a lease (on the monotonic clock)
brings the full round back."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from events.store import head_position
from outbox import engine
from outbox.models import OutboxItem, SubscriberCheckpoint, WorkerHeartbeat
from outbox.worker import Worker
from tests import factories

pytestmark = pytest.mark.django_db


def settled(worker) -> None:
    for _ in range(20):
        if not worker.run_once():
            return
    raise AssertionError("the worker never ran out of work")


def test_an_idle_round_is_a_few_reads_whatever_the_number_of_companies(
    acme, globex, staff, clock, django_assert_max_num_queries
):
    factories.place(staff)
    worker = Worker(now=clock, monotonic=clock.monotonic, lease_seconds=60)
    settled(worker)
    with django_assert_max_num_queries(3):
        assert worker.run_once() is False


def test_a_commit_is_handled_by_the_next_round(acme, staff, clock):
    worker = Worker(now=clock, monotonic=clock.monotonic, lease_seconds=60)
    settled(worker)
    factories.place(staff)
    settled(worker)
    checkpoints = SubscriberCheckpoint.objects.filter(company_id=acme.pk)
    assert checkpoints.exists()
    assert {c.position for c in checkpoints} == {head_position()}


def _round_after_a_commit(companies: int, clock) -> tuple[int, set]:
    """The statements of the round after one commit in the first of `companies` busy companies,
    and the companies whose checkpoints that round moved."""
    people = []
    for number in range(companies):
        company = factories.CompanyFactory(slug=f"co{companies}-{number}")
        people.append(factories.user(Role.STAFF, company))
        factories.place(people[-1])
    worker = Worker(now=clock, monotonic=clock.monotonic, lease_seconds=60)
    settled(worker)
    before = dict(SubscriberCheckpoint.objects.values_list("pk", "updated_at"))
    clock.advance(seconds=1)
    factories.place(people[0])
    with CaptureQueriesContext(connection) as queries:
        assert worker.run_once() is True
    moved = {
        c.company_id for c in SubscriberCheckpoint.objects.all() if before.get(c.pk) != c.updated_at
    }
    return len(queries), moved


def test_a_commit_brings_a_round_over_its_own_company_only(clock):
    """Before: every commit brought a full round, every subscriber of every company asked a
    few statements each (0.3 of a core at a few commands a second over ten companies)."""
    few, moved = _round_after_a_commit(2, clock)
    many, moved_many = _round_after_a_commit(6, clock)

    assert many == few
    assert len(moved) == len(moved_many) == 1


def test_a_due_item_brings_the_full_round_back(acme, staff, clock):
    worker = Worker(now=clock, monotonic=clock.monotonic, lease_seconds=60)
    settled(worker)
    engine.enqueue(
        "notifier",
        company_id=engine.PLATFORM,
        key="test:due",
        data={},
        now=clock(),
    )
    assert engine.anything_due(clock())
    worker.run_once()
    item = OutboxItem.objects.get(key="test:due")
    assert item.attempts > 0 or item.status != OutboxItem.Status.PENDING


def test_full_rounds_come_back_after_a_sixth_of_a_lease(acme, staff, clock):
    worker = Worker(now=clock, monotonic=clock.monotonic, lease_seconds=60)
    settled(worker)
    first = worker._full_round_at
    clock.advance(seconds=5)
    worker.run_once()
    assert worker._full_round_at == first  # idle
    clock.advance(seconds=6)
    worker.run_once()
    assert worker._full_round_at == clock.monotonic()  # leases renewed, expired taken, ticks run


def test_a_wall_clock_set_back_does_not_keep_the_worker_idle(acme, staff, clock):
    """Intervals are measured on the monotonic clock: a wall clock stepped back an hour (NTP,
    a VM resumed) still brings the full round back after a sixth of a lease, and a wall clock
    stepped forward does not bring it early."""
    worker = Worker(now=clock, monotonic=clock.monotonic, lease_seconds=60)
    settled(worker)
    first = worker._full_round_at
    clock.set_wall(hours=1)
    worker.run_once()
    assert worker._full_round_at == first  # idle: only the wall clock moved

    clock.set_wall(hours=-2)
    clock.advance(seconds=11)
    worker.run_once()

    assert worker._full_round_at == clock.monotonic()


def test_a_wall_clock_set_back_does_not_stop_the_heartbeat(acme, clock):
    worker = Worker(now=clock, monotonic=clock.monotonic, heartbeat_seconds=5)
    worker.heartbeat()
    clock.set_wall(hours=-1)
    clock.advance(seconds=6)

    worker.heartbeat()

    assert WorkerHeartbeat.objects.get(worker=worker.name).seen_at == clock()
