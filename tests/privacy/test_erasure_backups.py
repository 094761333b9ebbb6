"""Keys never travel with the log: its backups and dumps hold none, so a backup taken after an
erasure holds no trace of the person; a key backup is separate, and `reapply_erasures` undoes
the restore of one taken before an erasure."""

from __future__ import annotations

import io
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from events import backup_postgres, keystore
from events.models import Event
from events.sealing import ERASED
from orders import commands, erasure
from orders.events import OrderDetails
from tests import factories
from tests.vendor import postgres_only, sqlite_only

NAME = "Bartholomew Fennimore-Achterberg"
EMAIL = "bart.fennimore@example.com"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_db", "check_alias_allowed"),
]


def place_for(actor):
    details = OrderDetails(customer_name=NAME, customer_email=EMAIL, shipping_address="9 Quay")
    return commands.place_order(actor=actor, details=details, lines=factories.lines(1))


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@sqlite_only("backup_db copies the SQLite file")
def test_a_backup_taken_after_an_erasure_holds_no_trace_of_the_person_and_no_keys(
    acme, staff, manager, tmp_path
):
    order = place_for(staff)
    erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="request", actor=manager)
    target = tmp_path / "after.sqlite3"

    run("backup_db", str(target))

    data = target.read_bytes()
    assert NAME.encode() not in data and EMAIL.encode() not in data
    with sqlite3.connect(target) as copy:
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
        assert keystore.TABLE not in tables
        assert copy.execute("SELECT count(*) FROM events_event").fetchone()[0] >= 2
    assert Event.objects.get(stream_id=order.id).decoded().details.customer_name == ERASED


@sqlite_only("the key store is a file beside the SQLite database")
def test_a_key_backup_restored_from_before_an_erasure_is_erased_again_by_reapply_erasures(
    acme, staff, manager, tmp_path
):
    order = place_for(staff)
    keys = tmp_path / "keys-before.sqlite3"
    assert "Key store copied" in run("backup_keys", str(keys))
    erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="request", actor=manager)
    live = keystore.key_store_path()
    connection.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(keys, live)  # the operator restores the old key backup
    assert Event.objects.get(stream_id=order.id).decoded().details.customer_name == NAME

    assert run("reapply_erasures").startswith("1 key(s)")

    assert Event.objects.get(stream_id=order.id).decoded().details.customer_name == ERASED
    assert NAME.encode() not in keys.read_bytes()  # sealed only; the key is what it held


@postgres_only("pg_dump")
def test_a_pg_dump_after_an_erasure_holds_no_trace_and_backup_db_leaves_the_keys_out(
    acme, staff, manager, tmp_path
):
    place_for(staff)
    environment = backup_postgres.libpq_environment()
    dumped = subprocess.run(
        ["pg_dump", "--format=plain"], env=environment, capture_output=True, check=True
    ).stdout
    assert keystore.POSTGRES_SCHEMA.encode() in dumped  # the full dump holds the key store
    erasure.erase_customer(company_id=acme.pk, email=EMAIL, reason="request", actor=manager)

    dumped = subprocess.run(
        ["pg_dump", "--format=plain"], env=environment, capture_output=True, check=True
    ).stdout
    assert NAME.encode() not in dumped and EMAIL.encode() not in dumped
    target = tmp_path / "log.dump"
    backup_postgres.dump(target)
    listing = subprocess.run(
        ["pg_restore", "--list", str(target)], capture_output=True, check=True, text=True
    ).stdout
    assert keystore.TABLE not in listing and "events_event" in listing
