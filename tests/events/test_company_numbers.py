"""Each event's number in its company's log is a column of the event row (issue #25), given by
the append's INSERT: 1, 2, 3… in position order, gap-free and unique per company whoever
appends at once (threads and processes, the same company or another), refused by the database
when a number is given twice, checked by `verify_events`, and given to a log written before
the column (migration events 0009) as the old projection numbered it."""

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from events.models import Event
from events.verification import verify_log
from tests import factories
from tests.events.conftest import append_counted
from tests.events.test_concurrency import run_in_threads, start_writer
from tests.together import run_together
from tests.vendor import database_url, drop_append_only_triggers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_log"),
]


@pytest.fixture
def two_companies(committed_company):
    company, user = committed_company
    other = factories.CompanyFactory(name="Other Co", slug="other")
    return [(company, user), (other, factories.UserFactory(username="other.w", company=other))]


def numbers_in_position_order(company) -> list[int]:
    rows = Event.objects.filter(company=company).order_by("position")
    return list(rows.values_list("number", flat=True))


def test_each_companys_events_are_numbered_from_one_in_position_order(two_companies):
    (acme, _), (other, _) = two_companies
    for n in range(3):
        append_counted(uuid.uuid4(), 0, n, company=acme)
        append_counted(uuid.uuid4(), 0, n, n + 1, company=other)  # two events in one append

    assert numbers_in_position_order(acme) == [1, 2, 3]
    assert numbers_in_position_order(other) == [1, 2, 3, 4, 5, 6]
    assert verify_log().ok


def test_threads_of_two_companies_appending_at_once_keep_each_numbering_gap_free(two_companies):
    def append_five(index: int) -> None:
        company, user = two_companies[index % 2]
        stream = uuid.uuid4()
        for version in range(5):
            append_counted(stream, version, version, company=company, actor=user)

    assert run_in_threads(12, append_five) == []
    for company, _ in two_companies:
        assert numbers_in_position_order(company) == list(range(1, 31))
    assert verify_log().ok


@pytest.mark.slow
def test_processes_of_two_companies_appending_at_once_keep_each_numbering_gap_free(
    two_companies,
):
    database = database_url()
    writers = [
        start_writer(database, *two_companies[index % 2], uuid.uuid4(), 20) for index in range(4)
    ]
    results = run_together(writers)

    for writer, (_out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err
    for company, _ in two_companies:
        assert numbers_in_position_order(company) == list(range(1, 41))
    assert verify_log().ok


def test_the_database_refuses_a_company_number_given_twice(committed_company):
    company, _ = committed_company
    append_counted(uuid.uuid4(), 0, 1, company=company)
    event = Event.objects.get()
    twin = Event(
        **{f.attname: getattr(event, f.attname) for f in Event._meta.concrete_fields},
    )
    twin.id, twin.position, twin.stream_id = uuid.uuid4(), event.position + 1, uuid.uuid4()

    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.bulk_create([twin])


def test_verification_finds_a_changed_company_number(committed_company):
    company, _ = committed_company
    for n in range(3):
        append_counted(uuid.uuid4(), 0, n, company=company)
    with transaction.atomic():
        drop_append_only_triggers()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE events_event SET number = 9 WHERE number = 2")
        result = verify_log()
        transaction.set_rollback(True)

    assert not result.ok
    assert result.broken_position == 2
    assert "is number 9 of its company's log, but follows its number 1" in result.problem


BEFORE = [
    ("events", "0008_integritycheck_signature"),
    ("projections", "0018_summary_indexes_for_every_list_sort"),
]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_a_log_written_before_the_column_keeps_its_numbers(two_companies):
    (acme, _), (other, _) = two_companies
    for n in range(3):
        append_counted(uuid.uuid4(), 0, n, company=acme)
        append_counted(uuid.uuid4(), 0, n, company=other)
    before = list(Event.objects.order_by("position").values_list("id", "hash", "number"))
    try:
        # Back to the projection's table (filled again from the rows), then forward: the
        # numbers are copied back; and, with the table emptied, counted from the log.
        migrate(BEFORE)
        migrate([("projections", "0019_event_number_in_the_event_row")])
        after_copy = list(Event.objects.order_by("position").values_list("id", "hash", "number"))
        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM projections_eventnumber")
        migrate([("projections", "0019_event_number_in_the_event_row")])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert after_copy == before
    assert list(Event.objects.order_by("position").values_list("id", "hash", "number")) == before
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE events_event SET number = number + 0")  # the triggers are back
    append_counted(uuid.uuid4(), 0, 1, company=acme)
    assert numbers_in_position_order(acme) == [1, 2, 3, 4]
