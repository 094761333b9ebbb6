"""Real concurrency: commands from several threads, each on its own connection to the file DB.

Threads only see committed rows, so these tests commit for real (`committed_db`, which also
cleans the committed event log up afterwards).
"""

import threading

import pytest
from django.db import connections

from accounts.models import Role
from events.models import Event
from events.verification import verify_log
from orders import commands
from orders.exceptions import ConcurrencyError
from orders.models import Order
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_db")]


def run_together(work, count: int) -> list:
    """Run `work(i)` in `count` threads released at once; each result or raised exception."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def thread(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as error:  # the test inspects it
            results[index] = error
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    return results


def test_two_managers_approving_at_once_record_one_approval_and_the_other_is_told(acme):
    order = factories.order_in_state("submitted", acme)
    managers = [factories.user(Role.MANAGER, acme, username=f"acme.manager{i}") for i in (1, 2)]

    results = run_together(
        lambda i: commands.approve(order.id, actor=managers[i], expected_version=order.version),
        count=2,
    )

    approved = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, ConcurrencyError)]
    assert (len(approved), len(refused)) == (1, 1), results
    assert (refused[0].expected_version, refused[0].actual_version) == (2, 3)
    events = Event.objects.filter(stream_id=order.id, event_type="OrderApproved")
    assert events.count() == 1
    winner = managers[results.index(approved[0])]
    assert events.get().metadata["actor_username"] == winner.username
    stored = Order.objects.get(pk=order.id)
    assert (stored.state, stored.version) == ("approved", 3)
    assert verify_log().ok


def test_orders_placed_from_many_threads_get_unique_numbers_without_gaps(acme, globex):
    placers = [factories.user(Role.STAFF, acme, username=f"acme.staff{i}") for i in range(8)]
    placers += [factories.user(Role.STAFF, globex, username=f"globex.staff{i}") for i in range(4)]

    results = run_together(lambda i: [factories.place(placers[i]) for _ in range(3)], count=12)

    assert not [r for r in results if isinstance(r, Exception)], results
    for company, expected in ((acme, 24), (globex, 12)):
        numbers = sorted(Order.objects.filter(company=company).values_list("sequence", "number"))
        slug = company.slug.upper()
        assert numbers == [(n, f"{slug}-{n:06d}") for n in range(1, expected + 1)]
    assert verify_log().ok
