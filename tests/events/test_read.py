"""Reading the log: one stream (`read_stream`) and the whole log in batches (`read_all`)."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import replay, store
from tests.events.conftest import append_counted
from tests.events.sample_events import SampleCounted

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC)


def numbers(events):
    return [event.data.n for event in events]


def positions(events):
    return [event.position for event in events]


@pytest.fixture
def two_interleaved_streams(acme):
    """Stream `a` has versions 1-3, stream `b` versions 1-2, interleaved in the log:
    positions 1 a1, 2 b1, 3 a2, 4 b2, 5 a3. Stream a's events occurred one day apart."""
    a, b = uuid.uuid4(), uuid.uuid4()
    append_counted(a, 0, 1, company=acme, occurred_at=T0)
    append_counted(b, 0, 101, company=acme)
    append_counted(a, 1, 2, company=acme, occurred_at=T0 + dt.timedelta(days=1))
    append_counted(b, 1, 102, company=acme)
    append_counted(a, 2, 3, company=acme, occurred_at=T0 + dt.timedelta(days=2))
    return a, b


def test_read_stream_gives_only_that_streams_events_in_version_order(two_interleaved_streams):
    a, b = two_interleaved_streams

    events = store.read_stream(a)

    assert [event.version for event in events] == [1, 2, 3]
    assert numbers(events) == [1, 2, 3]
    assert {event.stream_id for event in events} == {a}
    assert all(isinstance(event.data, SampleCounted) for event in events)
    assert numbers(store.read_stream(b)) == [101, 102]


def test_read_stream_up_to_a_version_stops_there(two_interleaved_streams):
    a, _ = two_interleaved_streams

    assert numbers(store.read_stream(a, up_to_version=2)) == [1, 2]
    assert numbers(store.read_stream(a, up_to_version=1)) == [1]


def test_read_stream_until_a_moment_gives_what_had_occurred_by_then(two_interleaved_streams):
    a, _ = two_interleaved_streams

    assert numbers(store.read_stream(a, until=T0 + dt.timedelta(days=1))) == [1, 2]
    assert numbers(store.read_stream(a, until=T0 + dt.timedelta(hours=23))) == [1]
    assert store.read_stream(a, until=T0 - dt.timedelta(microseconds=1)) == []


def test_read_stream_for_another_company_gives_nothing(two_interleaved_streams, acme, globex):
    a, _ = two_interleaved_streams

    assert store.read_stream(a, company=globex) == []
    assert numbers(store.read_stream(a, company=acme)) == [1, 2, 3]


def test_read_stream_of_an_unknown_stream_is_empty(two_interleaved_streams):
    assert store.read_stream(uuid.uuid4()) == []


def test_read_all_gives_the_whole_log_in_position_order_in_batches(two_interleaved_streams):
    batches = list(replay.read_all(batch_size=2))

    assert [positions(batch) for batch in batches] == [[1, 2], [3, 4], [5]]
    assert [numbers(batch) for batch in batches] == [[1, 101], [2, 102], [3]]


def test_read_all_resumes_after_a_position(two_interleaved_streams):
    assert [positions(b) for b in replay.read_all(after_position=3, batch_size=10)] == [[4, 5]]
    assert list(replay.read_all(after_position=5)) == []


def test_read_all_stops_at_an_upper_position(two_interleaved_streams):
    batches = list(replay.read_all(batch_size=2, up_to_position=3))

    assert [positions(batch) for batch in batches] == [[1, 2], [3]]


def test_read_all_of_an_empty_log_yields_nothing(db):
    assert list(replay.read_all()) == []


def test_read_all_issues_one_bounded_query_per_batch(acme):
    for stream in (uuid.uuid4() for _ in range(3)):
        append_counted(stream, 0, 1, 2, 3, company=acme)  # 9 events in all
    batches = replay.read_all(after_position=1, batch_size=3)

    for expected in ([2, 3, 4], [5, 6, 7], [8, 9]):
        with CaptureQueriesContext(connection) as queries:
            batch = next(batches)
        assert positions(batch) == expected
        assert len(queries) == 1
        # Keyset pagination: a range on position with a LIMIT, never an OFFSET.
        (sql,) = (query["sql"] for query in queries.captured_queries)
        assert "LIMIT 3" in sql
        assert "OFFSET" not in sql
        assert '"position" >' in sql

    with CaptureQueriesContext(connection) as queries:
        assert next(batches, None) is None
    assert len(queries) == 1  # the query that finds nothing more


def test_read_all_query_count_grows_with_batches_not_events(acme, django_assert_num_queries):
    append_counted(uuid.uuid4(), 0, *range(10), company=acme)

    with django_assert_num_queries(4):  # three batches of 4, 4, 2 and one empty read
        assert sum(len(batch) for batch in replay.read_all(batch_size=4)) == 10
    with django_assert_num_queries(2):  # one batch and one empty read
        assert sum(len(batch) for batch in replay.read_all(batch_size=100)) == 10


def test_read_all_gives_exactly_what_append_recorded(acme, django_user_model):
    """The replay path (plain SQL, decoding on first use) against what `append` returned and
    what `read_stream` (converted as the ORM converts) reads: every field, typed payloads with
    Decimal/UUID/datetime/date, a long payload and a short shared one, metadata and actor."""
    from tests.events.sample_events import SamplePriced

    actor = django_user_model.objects.create_user("reader", company=acme)
    stream = uuid.uuid4()
    priced = SamplePriced(
        amount=Decimal("12.30"),
        reference=uuid.uuid4(),
        priced_at=T0 + dt.timedelta(microseconds=7),
        due_on=dt.date(2026, 6, 1),
        note="é" * 300,  # longer than the shared-payload limit: decoded on its own
    )
    recorded = store.append(
        stream,
        0,
        [priced, SampleCounted(n=1)],
        company=acme,
        actor=actor,
        occurred_at=T0,
        stream_type="sample",  # one stream, one type: as `append_counted` below
    )
    recorded += append_counted(stream, 2, 1, company=acme)  # same short payload: shared

    (replayed,) = list(replay.read_all())
    assert replayed == recorded == store.read_stream(stream)
    assert replayed[0].data.amount == Decimal("12.30") and replayed[0].data.note == "é" * 300
    assert [e.actor_username for e in replayed] == ["reader", "reader", "system"]
    assert all(e.occurred_at.tzinfo is not None for e in replayed)
    assert replayed[0].recorded_at == recorded[0].recorded_at
    assert isinstance(replayed[0].id, uuid.UUID) and replayed[0].id == recorded[0].id


def test_read_by_stream_gives_each_streams_events_together_in_version_order(
    two_interleaved_streams,
):
    a, b = two_interleaved_streams
    first, second = sorted([a, b], key=lambda stream: stream.hex)

    batches = list(replay.read_by_stream(batch_size=2))
    events = [event for batch in batches for event in batch]

    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert [(e.stream_id, e.version) for e in events] == [
        *((first, v) for v in range(1, 4 if first == a else 3)),
        *((second, v) for v in range(1, 4 if second == a else 3)),
    ]
    assert sorted(events, key=lambda e: e.position) == [e for b in replay.read_all() for e in b]


def test_read_by_stream_stops_at_an_upper_position(two_interleaved_streams):
    a, _b = two_interleaved_streams
    events = [e for batch in replay.read_by_stream(up_to_position=3) for e in batch]

    assert sorted(e.position for e in events) == [1, 2, 3]
    assert [e.version for e in events if e.stream_id == a] == [1, 2]
