"""Per-company numbering (#20): each company's events are numbered 1, 2, 3… without gaps, the
event row's own `number` since issue #25 (tests/events/test_company_numbers.py has the races,
the verification and the migration), and a rebuild leaves them as they are."""

import re

import pytest

from events.models import Event
from tests import factories
from tests.factories import log_in

from .read_models import run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]


@pytest.fixture
def interleaved(acme, globex, staff, manager, globex_staff):
    """Acme and Globex write in turns, so each company's positions have gaps."""
    for _ in range(3):
        order = factories.place(staff)
        factories.place(globex_staff)
        factories.advance(order, "approved", staff=staff, manager=manager)
        factories.place(globex_staff)


def numbers_by_position(company) -> list[tuple[int, int]]:
    rows = Event.objects.filter(company=company).order_by("position")
    return list(rows.values_list("position", "number"))


def test_each_companys_events_are_numbered_from_one_without_gaps(acme, globex, interleaved):
    for company in (acme, globex):
        positions = list(
            Event.objects.filter(company=company).order_by("position").values_list("position")
        )
        numbered = numbers_by_position(company)

        assert [(p,) for p, _ in numbered] == positions
        assert [n for _, n in numbered] == list(range(1, len(positions) + 1))
    acme_positions = [p for p, _ in numbers_by_position(acme)]
    assert acme_positions[-1] - acme_positions[0] + 1 > len(acme_positions)  # positions gap


def test_the_numbers_are_the_same_after_a_rebuild(interleaved, scratch_files):
    numbered = list(Event.objects.order_by("position").values_list("position", "number"))

    run("rebuild_projections")

    assert list(Event.objects.order_by("position").values_list("position", "number")) == numbered
    assert run("verify_projections") == "OK\n"


def test_the_audit_log_shows_each_company_its_own_numbers(
    client, acme, globex, manager, globex_manager, interleaved
):
    for user, company in ((manager, acme), (globex_manager, globex)):
        log_in(client, user)
        html = client.get("/audit/").content.decode()
        shown = [int(n) for n in re.findall(r'<tr>\s*<td class="mono">(\d+)</td>', html)]

        count = Event.objects.filter(company=company).count()
        assert shown == list(range(count, 0, -1))
