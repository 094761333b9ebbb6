"""`events.store.append`: optimistic concurrency, atomicity, positions, versions, metadata."""

import datetime as dt
import uuid

import pytest
from django.db import transaction

from accounts.models import Company
from common.request_context import reset_request_id, set_request_id
from events import store
from events.exceptions import ConcurrencyError
from events.hashing import GENESIS
from events.models import Event
from events.verification import verify_log
from tests.events.conftest import append_counted
from tests.events.sample_events import SampleCounted, SamplePriced

pytestmark = pytest.mark.django_db


def stored(stream_id=None):
    events = Event.objects.all() if stream_id is None else Event.objects.filter(stream_id=stream_id)
    return list(events.order_by("position"))


def test_a_new_stream_gets_versions_one_to_n_in_the_order_given(acme):
    stream = uuid.uuid4()

    append_counted(stream, 0, 10, 20, 30, company=acme)

    rows = stored(stream)
    assert [row.version for row in rows] == [1, 2, 3]
    assert [row.payload["n"] for row in rows] == [10, 20, 30]
    assert {row.event_type for row in rows} == {"tests.SampleCounted"}


def test_appending_at_the_current_version_continues_the_stream(acme):
    stream = uuid.uuid4()
    append_counted(stream, 0, 1, 2, company=acme)

    recorded = append_counted(stream, 2, 3, company=acme)

    assert [event.version for event in recorded] == [3]
    assert [row.version for row in stored(stream)] == [1, 2, 3]
    assert store.stream_version(stream) == 3


def test_positions_number_the_whole_log_across_streams_and_companies_without_gaps(acme, globex):
    first, second = uuid.uuid4(), uuid.uuid4()

    append_counted(first, 0, 1, 2, company=acme)
    append_counted(second, 0, 1, company=globex)
    append_counted(first, 2, 3, 4, company=acme)

    rows = stored()
    assert [row.position for row in rows] == [1, 2, 3, 4, 5]
    assert [(row.stream_id, row.version) for row in rows] == [
        (first, 1),
        (first, 2),
        (second, 1),
        (first, 3),
        (first, 4),
    ]


def test_each_event_is_chained_to_the_hash_of_the_one_before_it(acme):
    append_counted(uuid.uuid4(), 0, 1, 2, company=acme)
    append_counted(uuid.uuid4(), 0, 3, company=acme)

    rows = stored()
    assert rows[0].prev_hash == GENESIS
    assert [row.prev_hash for row in rows[1:]] == [row.hash for row in rows[:-1]]
    assert all(store.hash_of(row) == row.hash for row in rows)


@pytest.mark.parametrize(
    ("already_there", "expected_version"),
    [(2, 1), (2, 0), (2, 3), (0, 1)],
    ids=["behind", "thinks-new", "ahead", "ahead-of-empty-stream"],
)
def test_a_wrong_expected_version_raises_concurrency_error_and_writes_nothing(
    acme, already_there, expected_version
):
    stream = uuid.uuid4()
    if already_there:
        append_counted(stream, 0, *range(already_there), company=acme)
    before = Event.objects.count()

    with pytest.raises(ConcurrencyError) as refused:
        append_counted(stream, expected_version, 99, 100, company=acme)

    assert Event.objects.count() == before
    assert store.stream_version(stream) == already_there
    assert (refused.value.expected_version, refused.value.actual_version) == (
        expected_version,
        already_there,
    )


def test_the_concurrency_error_tells_the_person_what_happened_and_what_to_do(acme):
    stream = uuid.uuid4()
    append_counted(stream, 0, 1, 2, 3, company=acme)

    with pytest.raises(ConcurrencyError) as refused:
        append_counted(stream, 1, 4, company=acme)

    message = str(refused.value)
    assert "changed since your page showed it" in message
    assert "you saw version 1" in message
    assert "now at version 3" in message
    assert "Reload" in message


def test_the_unique_stream_version_constraint_turns_a_lost_race_into_a_concurrency_error(
    acme, monkeypatch
):
    """Without the write lock, two writers can both read the old version; the second insert
    then hits the (stream_id, version) constraint and must still look like a lost race."""
    stream = uuid.uuid4()
    append_counted(stream, 0, 1, company=acme)
    real_stream_version = store.stream_version
    reads = []

    def stale_first_read(stream_id, *, using="default"):
        reads.append(stream_id)
        return 0 if len(reads) == 1 else real_stream_version(stream_id, using=using)

    monkeypatch.setattr(store, "stream_version", stale_first_read)

    with pytest.raises(ConcurrencyError) as refused:
        append_counted(stream, 0, 2, company=acme)

    assert refused.value.actual_version == 1
    assert [row.payload["n"] for row in stored(stream)] == [1]


def test_an_append_is_all_or_nothing_when_an_inline_handler_fails(acme, monkeypatch):
    def failing_projection(events, using):
        raise RuntimeError("projection broke")

    monkeypatch.setattr(store, "_inline_handlers", [failing_projection])

    with pytest.raises(RuntimeError, match="projection broke"):
        append_counted(uuid.uuid4(), 0, 1, 2, 3, company=acme)

    assert Event.objects.count() == 0


def test_an_event_that_cannot_be_serialised_stops_the_whole_append(acme):
    stream = uuid.uuid4()
    unserialisable = SamplePriced(
        amount=1.5,
        reference=uuid.uuid4(),
        priced_at=dt.datetime.now(dt.UTC),
        due_on=dt.date(2026, 1, 1),
    )

    with pytest.raises(TypeError):
        store.append(stream, 0, [SampleCounted(n=1), unserialisable], company=acme)

    assert stored(stream) == []


def test_the_callers_rollback_removes_the_appended_events(acme):
    stream = uuid.uuid4()
    append_counted(uuid.uuid4(), 0, 1, company=acme)

    with pytest.raises(RuntimeError), transaction.atomic():
        append_counted(stream, 0, 1, 2, company=acme)
        assert store.stream_version(stream) == 2  # visible inside the caller's transaction
        raise RuntimeError("the caller's next step failed")

    assert stored(stream) == []
    # The rolled-back positions are handed out again: the log stays gap-free.
    recorded = append_counted(uuid.uuid4(), 0, 5, company=acme)
    assert [event.position for event in recorded] == [2]


def test_the_events_commit_with_the_callers_own_writes(acme):
    stream = uuid.uuid4()

    with transaction.atomic():
        Company.objects.create(name="Written alongside", slug="alongside")
        append_counted(stream, 0, 1, company=acme)

    assert Company.objects.filter(slug="alongside").exists()
    assert store.stream_version(stream) == 1


def test_a_refused_append_leaves_the_callers_transaction_and_earlier_writes_usable(acme):
    stream = uuid.uuid4()
    append_counted(stream, 0, 1, company=acme)

    with transaction.atomic():
        Company.objects.create(name="Written before", slug="before")
        with pytest.raises(ConcurrencyError):
            append_counted(stream, 0, 2, company=acme)
        append_counted(stream, 1, 2, company=acme)

    assert Company.objects.filter(slug="before").exists()
    assert [row.payload["n"] for row in stored(stream)] == [1, 2]


def test_metadata_names_the_actor_the_request_and_the_cause(acme, staff):
    token = set_request_id("req-0123456789")
    try:
        append_counted(uuid.uuid4(), 0, 1, 2, company=acme, actor=staff, causation_id="cmd-42")
    finally:
        reset_request_id(token)

    for row in stored():
        assert row.metadata == {
            "actor_id": str(staff.pk),
            "actor_username": "acme.staff",
            "correlation_id": "req-0123456789",
            "causation_id": "cmd-42",
        }


def test_an_explicit_correlation_id_wins_over_the_request_id(acme):
    token = set_request_id("req-0123456789")
    try:
        recorded = append_counted(uuid.uuid4(), 0, 1, company=acme, correlation_id="import-7")
    finally:
        reset_request_id(token)

    assert recorded[0].metadata["correlation_id"] == "import-7"


def test_an_append_without_an_actor_is_recorded_as_the_system(acme):
    recorded = append_counted(uuid.uuid4(), 0, 1, company=acme)

    assert recorded[0].metadata["actor_id"] is None
    assert recorded[0].actor_username == "system"


def test_the_company_stream_type_and_times_are_stored(acme):
    stream = uuid.uuid4()
    occurred = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)

    append_counted(stream, 0, 1, company=acme, occurred_at=occurred)
    append_counted(stream, 1, 2, company=acme)

    backdated, current = stored(stream)
    assert backdated.company_id == acme.pk
    assert backdated.stream_type == "sample"
    assert backdated.occurred_at == occurred
    assert backdated.recorded_at > occurred
    assert current.occurred_at == current.recorded_at


def test_append_returns_exactly_what_a_later_read_gives_back(acme, staff):
    stream = uuid.uuid4()

    recorded = append_counted(stream, 0, 1, 2, company=acme, actor=staff)

    assert recorded == store.read_stream(stream)


def test_appending_no_events_is_refused(acme):
    with pytest.raises(ValueError, match="at least one event"):
        store.append(uuid.uuid4(), 0, [], company=acme)


def test_a_naive_occurred_at_is_refused(acme):
    stream = uuid.uuid4()

    with pytest.raises(ValueError, match="timezone-aware"):
        append_counted(stream, 0, 1, company=acme, occurred_at=dt.datetime(2026, 1, 1, 12))

    assert stored(stream) == []


def test_a_stream_id_given_as_text_is_stored_as_the_same_uuid_and_verifies(acme):
    stream = uuid.uuid4()

    append_counted(str(stream).upper(), 0, 1, company=acme)
    append_counted(str(stream), 1, 2, company=acme)

    assert [row.version for row in stored(stream)] == [1, 2]
    assert verify_log().ok


@pytest.mark.parametrize(
    "occurred_at",
    [
        dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(-dt.timedelta(hours=14))),
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))),
        dt.datetime(9999, 12, 31, 12, tzinfo=dt.UTC),  # no zone east of UTC could show it
    ],
)
def test_an_occurred_at_the_log_cannot_hold_is_refused_with_a_domain_error(acme, occurred_at):
    from events.exceptions import OccurredAtOutOfRange

    with pytest.raises(OccurredAtOutOfRange, match="event times must fall between 0001-01-02"):
        append_counted(uuid.uuid4(), 0, 1, company=acme, occurred_at=occurred_at)

    assert not Event.objects.exists()
