"""A database that cannot take writes is a clear 503, never a 500, and nothing is half-written
(issue #24 §21): read-only with SQLite's `PRAGMA query_only`, a full disk with
`PRAGMA max_page_count` (the database cannot grow past its current size)."""

import pytest
from django.db import connection
from django.test import Client

from events.models import Event
from tests import factories
from tests.factories import PASSWORD
from tests.vendor import sqlite_only

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_db"),
    sqlite_only("PRAGMA query_only / max_page_count"),
]


def pragma(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def test_logging_in_on_a_read_only_database_is_a_503_page(staff):
    client = Client(raise_request_exception=False)
    pragma("PRAGMA query_only = ON")
    try:
        response = client.post(
            "/accounts/login/", {"username": staff.username, "password": PASSWORD}
        )
    finally:
        pragma("PRAGMA query_only = OFF")

    assert response.status_code == 503
    assert "cannot save anything right now" in response.content.decode()


def test_saving_a_note_on_a_full_disk_is_a_503_and_writes_nothing(staff):
    order = factories.place(staff)
    client = Client(raise_request_exception=False)
    factories.log_in(client, staff)
    events = Event.objects.count()
    client.get(f"/orders/{order.id}/")  # the session is written before the disk is full
    with connection.cursor() as cursor:
        # Fill the file's free pages first (inside the test's transaction, undone after it):
        # with free pages left, a note would still fit under the cap.
        free = cursor.execute("PRAGMA freelist_count").fetchone()[0]
        size = cursor.execute("PRAGMA page_size").fetchone()[0]
        cursor.execute("CREATE TABLE disk_filler (b BLOB)")
        cursor.execute("INSERT INTO disk_filler VALUES (zeroblob(%s))", [(free + 1) * size])
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
    pragma(f"PRAGMA max_page_count = {pages}")
    try:
        response = client.post(
            f"/orders/{order.id}/notes/", {"version": order.version, "text": "x" * 4000}
        )
    finally:
        pragma("PRAGMA max_page_count = 4294967294")

    assert response.status_code == 503
    assert Event.objects.count() == events
