"""A stream id belongs to exactly one stream type and one company (issue #24 §1): the event store
refuses an append that would mix them, and verification notices a stream whose events disagree."""

import io
import uuid

import pytest
from django.core.management import CommandError, call_command

from events import store
from events.exceptions import StreamOwnershipError
from events.models import Event
from tests.events.conftest import append_counted
from tests.events.sample_events import counted

pytestmark = pytest.mark.django_db


def test_appending_to_a_stream_of_another_type_is_refused_and_writes_nothing(acme):
    stream = uuid.uuid4()
    append_counted(stream, 0, 1, company=acme)

    with pytest.raises(StreamOwnershipError):
        store.append(stream, 1, counted(2), company=acme, stream_type="user")

    assert Event.objects.filter(stream_id=stream).count() == 1


def test_appending_to_another_companys_stream_is_refused_and_writes_nothing(acme, globex):
    stream = uuid.uuid4()
    append_counted(stream, 0, 1, company=acme)

    with pytest.raises(StreamOwnershipError):
        append_counted(stream, 1, 2, company=globex)

    assert Event.objects.filter(stream_id=stream).count() == 1


def test_the_check_holds_when_the_caller_already_checked_the_version(acme, globex):
    stream = uuid.uuid4()
    append_counted(stream, 0, 1, company=acme)

    with pytest.raises(StreamOwnershipError):
        append_counted(stream, 1, 2, company=globex, version_checked=True)


def test_verification_names_a_stream_whose_events_disagree_on_type_or_company(
    acme, globex, tamperer
):
    stream = uuid.uuid4()
    append_counted(stream, 0, 1, company=acme)
    # Written behind the store's back (a forger with the key, or a bug): a correctly chained
    # event of another company in the same stream.
    position, prev_hash = store._head("default")
    row = Event(
        id=uuid.uuid4(),
        position=position + 1,
        number=store.head_number(globex.pk) + 1,
        stream_type="sample",
        stream_id=stream,
        version=2,
        event_type="tests.SampleCounted",
        schema_version=1,
        payload={"n": 2},
        metadata=store.event_metadata(),
        company_id=globex.pk,
        occurred_at=Event.objects.get().occurred_at,
        recorded_at=Event.objects.get().recorded_at,
        prev_hash=prev_hash,
    )
    row.hash = store.hash_of(row)
    Event.objects.bulk_create([row])

    with pytest.raises(CommandError) as failed:
        call_command("verify_events", "--no-record", stdout=io.StringIO())

    assert str(failed.value).startswith(f"BROKEN at position {position + 1}:")
    assert "belongs to" in str(failed.value)


def test_a_command_checks_the_owner_read_with_the_order_not_the_state_row(acme, globex):
    """`load_current` reads the stream's last event with the order's state row and `append`
    judges ownership on that event: a state row claiming another company (a forged or damaged
    read model) does not let that company's user write into the stream."""
    from orders import commands
    from orders.models import Order
    from tests import factories

    theirs = factories.order_in_state("draft", globex)
    Order.objects.filter(pk=theirs.pk).update(company_id=acme.pk)
    staff = factories.user("Staff", acme)

    with pytest.raises(StreamOwnershipError):
        commands.submit(theirs.pk, actor=staff, expected_version=theirs.version)

    assert Event.objects.filter(stream_id=theirs.pk).count() == 1
