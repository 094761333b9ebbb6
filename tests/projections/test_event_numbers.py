"""Per-company numbering (#20): each company's events are numbered 1, 2, 3… without gaps by
the `event_number` projection, inline with every append, identical after a rebuild, and given
to a log that existed before the projection (migration `projections/0004`) without touching
an event."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.db import connection

from events.models import Event
from projections.models import EventNumber, ProjectionCheckpoint
from tests import factories
from tests.factories import log_in

from .read_models import run, snapshot, tables_of, verify_differences, wipe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]

_NUMBER_EXISTING = importlib.import_module("projections.migrations.0004_number_existing_events")


@pytest.fixture
def interleaved(acme, globex, staff, manager, globex_staff):
    """Acme and Globex write in turns, so each company's positions have gaps."""
    for _ in range(3):
        order = factories.place(staff)
        factories.place(globex_staff)
        factories.advance(order, "approved", staff=staff, manager=manager)
        factories.place(globex_staff)


def numbers_by_position(company) -> list[tuple[int, int]]:
    rows = EventNumber.objects.filter(company=company).order_by("position")
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
    inline = snapshot(tables_of("event_number"))
    wipe(tables_of("event_number"))

    run("rebuild_projections")

    assert snapshot(tables_of("event_number")) == inline
    assert run("verify_projections") == "OK\n"


def test_verify_finds_a_number_that_was_changed(acme, interleaved, scratch_files):
    last = EventNumber.objects.filter(company=acme).order_by("-number").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE projections_eventnumber SET number = 999 WHERE position = %s", [last.position]
        )

    assert re.search(rf"{last.position}.*number: live=999", verify_differences("event_number"))


def test_a_log_written_before_the_projection_gets_the_same_numbers(interleaved, scratch_files):
    inline = snapshot(tables_of("event_number"))
    wipe(tables_of("event_number"))
    ProjectionCheckpoint.objects.filter(name="event_number").delete()
    events_before = list(Event.objects.values_list("id", "hash"))

    _NUMBER_EXISTING.number_existing_events(django_apps, connection.schema_editor())

    assert snapshot(tables_of("event_number")) == inline
    assert ProjectionCheckpoint.objects.get(name="event_number").position == (
        Event.objects.order_by("-position").first().position
    )
    assert list(Event.objects.values_list("id", "hash")) == events_before
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
