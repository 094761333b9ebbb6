"""Issue #32 (audit trail): a back-dated (imported) event shows when it happened and when it was
recorded, in the order's history, its timeline and the audit log; `as_of` says which it uses."""

import csv
import datetime as dt
import io
import re

import pytest

from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def recorded_notes(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s+", " ", m).strip()
        for m in re.findall(r'data-testid="recorded-at">(.*?)</span>', html, re.S)
    ]


@pytest.fixture
def back_dated(staff):
    return factories.place(staff, at=LONG_AGO)


def test_the_history_shows_when_a_back_dated_event_happened_and_when_it_was_recorded(
    client, auditor, back_dated
):
    log_in(client, auditor)

    html = client.get(f"/orders/{back_dated.id}/history/").content.decode()

    assert "happened 2025-03-01" in re.sub(r"<[^>]+>", "", html)
    [note] = recorded_notes(html)
    assert note.startswith("recorded ") and "2025-03-01" not in note


def test_the_order_timeline_shows_both_times_too(client, staff, back_dated):
    log_in(client, staff)

    html = client.get(f"/orders/{back_dated.id}/").content.decode()

    assert len(recorded_notes(html)) == 1


def test_an_event_recorded_when_it_happened_shows_one_time(client, auditor, staff):
    order = factories.place(staff)
    log_in(client, auditor)

    assert recorded_notes(client.get(f"/orders/{order.id}/history/").content.decode()) == []
    assert recorded_notes(client.get("/audit/").content.decode()) == []


def test_the_audit_log_shows_both_times_of_a_back_dated_event(client, auditor, back_dated):
    log_in(client, auditor)

    html = client.get("/audit/").content.decode()

    assert "happened 2025-03-01" in re.sub(r"<[^>]+>", "", html)
    assert len(recorded_notes(html)) == 1


def test_the_as_of_control_says_it_uses_when_events_happened(client, auditor, back_dated):
    log_in(client, auditor)

    page = client.get(f"/orders/{back_dated.id}/history/").content.decode()
    moment = client.get(f"/orders/{back_dated.id}/history/?as_of=2025-03-02T00:00").content.decode()

    assert "when each event happened, not when it was recorded" in page
    assert re.search(
        r"As it stood at .*?2025-03-02 00:00:00.*?by when events happened", moment, re.S
    )


def test_the_history_csv_has_both_times(client, auditor, back_dated):
    log_in(client, auditor)

    response = client.get(f"/orders/{back_dated.id}/history/?format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(text)))

    assert row["occurred_at"].startswith("2025-03-01T09:00:00")
    assert not row["recorded_at"].startswith("2025-")
