"""What the pages say about verification cannot be forged with the database file alone (issue
#24 §13): a verification record is signed with the event log's key, and one that is not, or is
dated in the future, makes the audit page and /ops/ say so instead of "verified"."""

import datetime as dt
import io
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import User
from tests import factories
from tests.factories import log_in
from tests.vendor import ON_POSTGRES

pytestmark = pytest.mark.django_db


def insert_check(checked_at: dt.datetime, signature: str = "") -> None:
    """A row inserted with SQL, as someone with only the database file would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO events_integritycheck (id, checked_at, ok, events_checked, "
            "head_position, head_hash, message, duration_seconds, witnesses, signature) "
            "VALUES (%s, %s, %s, 0, 0, '', 'OK', 0, '', %s)",
            [
                uuid.uuid4() if ON_POSTGRES else uuid.uuid4().hex,
                checked_at if ON_POSTGRES else checked_at.strftime("%Y-%m-%d %H:%M:%S"),
                True,
                signature,
            ],
        )


def pages(client, acme) -> list[str]:
    log_in(client, factories.user("Manager", acme))
    audit = client.get("/audit/").content.decode()
    # The whole log's verification is a platform fact: the platform operator's ops desk.
    operator = User.objects.create_superuser("platform.operator", "op@platform.test", "x-Long-42")
    log_in(client, operator)
    ops = client.get("/ops/").content.decode()
    return [audit, ops]


@pytest.mark.parametrize("when", ["future", "now"])
def test_a_forged_ok_record_makes_no_page_say_verified(client, acme, witness_dir, when):
    factories.order_in_state("submitted", acme)
    call_command("verify_events", stdout=io.StringIO(), stderr=io.StringIO())
    ahead = dt.timedelta(days=365 * 70) if when == "future" else dt.timedelta(minutes=1)
    moment = timezone.now() + ahead
    insert_check(moment, signature="0" * 64)

    audit, ops = pages(client, acme)
    for html in (audit, ops):
        assert "Chain verified" not in html
        assert "Chain BROKEN" in html
    assert "FORGED verification record" in ops


def test_a_record_written_by_verify_events_says_verified(client, acme, witness_dir):
    factories.order_in_state("submitted", acme)
    call_command("verify_events", stdout=io.StringIO(), stderr=io.StringIO())

    for html in pages(client, acme):
        assert "Chain verified" in html
