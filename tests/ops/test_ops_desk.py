"""/ops/ (#20): the system's health for the platform operator (#24 item 12), read only: each
projection's checkpoint, head and lag, the last verify_events run against the witness, the last
backup, leftover scratch files, database and WAL sizes, and what to run when something is wrong."""

import io
import os
import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import Role
from events.models import BackupRecord
from projections import scratch
from projections.models import ProjectionCheckpoint
from tests import factories
from tests.events.test_backup_db import check_alias_allowed  # noqa: F401 (a fixture)
from tests.factories import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    """The platform operator: the platform's health is theirs (#24 item 12)."""
    from accounts.models import User

    return User.objects.create_superuser("platform.operator", "op@platform.test", "x-Long-pass-42")


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def section(response, name: str) -> str:
    html = response.content.decode()
    start = html.index(f'data-testid="{name}"')
    return " ".join(re.sub(r"<[^>]+>", " ", html[start : html.index("</section>", start)]).split())


@pytest.mark.parametrize("role", [Role.STAFF, Role.MANAGER, Role.AUDITOR])
def test_other_roles_get_403(client, acme, role):
    log_in(client, factories.user(role, acme))

    assert client.get("/ops/").status_code == 403


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client):
    response = client.get("/ops/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_ops_group_holds_the_permission_by_a_data_migration(ops):
    assert (
        Group.objects.get(name=Role.OPS.value).permissions.filter(codename="view_ops_desk").exists()
    )
    assert ops.has_perm("orders.view_ops_desk")


def test_a_group_given_the_permission_opens_the_page(client, acme, auditor):
    from django.contrib.auth.models import Permission

    auditor.user_permissions.add(Permission.objects.get(codename="view_ops_desk"))
    log_in(client, auditor)

    assert client.get("/ops/").status_code == 200


def test_the_page_is_read_only(client, ops):
    log_in(client, ops)

    assert client.post("/ops/").status_code == 405


def test_ops_see_each_projection_at_the_head(client, acme, staff, operator):
    factories.place(staff)
    log_in(client, operator)

    response = client.get("/ops/")

    assert response.status_code == 200
    rows = section(response, "projections")
    for name in ("order_summary", "dashboard"):
        assert re.search(rf"{name} 1 1 up to date", rows)
    assert "Ops" in text(response)  # the navigation link


def test_a_projection_behind_the_log_shows_its_lag_and_what_to_run(client, staff, operator):
    factories.place(staff)
    factories.place(staff)
    ProjectionCheckpoint.objects.filter(name="dashboard").update(position=0)
    log_in(client, operator)

    rows = section(client.get("/ops/"), "projections")

    assert "dashboard 0 2 2 behind" in rows
    assert "catch_up_projections" in rows


def test_the_last_verification_and_its_witness(client, staff, operator):
    factories.place(staff)
    log_in(client, operator)
    assert "Never verified" in section(client.get("/ops/"), "verification")
    call_command("verify_events", stdout=io.StringIO())
    factories.place(staff)

    shown = section(client.get("/ops/"), "verification")

    assert "Chain verified" in shown
    assert "1 events up to position 1" in shown
    assert "Compared with the witness" in shown
    assert "1 event appended since that run" in shown


def test_ops_see_a_witness_that_cannot_be_written(client, operator, settings, tmp_path):
    settings.WITNESS_DIR = str(tmp_path / "gone")
    log_in(client, operator)

    shown = section(client.get("/ops/"), "verification")

    assert "does not exist" in shown
    assert "WITNESS_DIR" in shown


def test_ops_see_database_and_wal_sizes(client, operator):
    log_in(client, operator)

    html = client.get("/ops/").content.decode()

    assert re.search(r'data-testid="db-size">[\d.,]+\xa0(KB|MB|bytes)<', html)
    assert re.search(r'data-testid="wal-size">([\d.,]+\xa0(KB|MB|bytes)|none)<', html)


def test_ops_see_leftover_scratch_files(client, operator):
    leftover = f"{scratch._pattern('default')}{'a' * 32}.sqlite3"
    with open(leftover, "wb") as handle:
        handle.write(b"x" * 2048)
    try:
        log_in(client, operator)
        shown = section(client.get("/ops/"), "files")
    finally:
        os.remove(leftover)

    assert leftover in shown
    assert "2.0 KB" in shown
    assert "rebuild_projections" in shown
    log_in(client, operator)
    assert "No leftover scratch files" in section(client.get("/ops/"), "files")


def test_no_backup_yet_says_what_to_run(client, operator):
    log_in(client, operator)

    shown = section(client.get("/ops/"), "backup")

    assert "No backup recorded" in shown
    assert "backup_db PATH" in shown


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_db", "check_alias_allowed")
def test_backup_db_records_each_backup_and_ops_see_the_last(client, tmp_path, operator):
    company = factories.CompanyFactory(slug="opsco")
    staff = factories.user(Role.STAFF, company)
    factories.place(staff)
    call_command("backup_db", str(tmp_path / "first.sqlite3"), stdout=io.StringIO())
    factories.place(staff)
    call_command("backup_db", str(tmp_path / "second.sqlite3"), stdout=io.StringIO())
    factories.place(staff)
    log_in(client, operator)

    shown = section(client.get("/ops/"), "backup")

    last = BackupRecord.objects.latest()
    assert BackupRecord.objects.count() == 2
    assert last.path == str(tmp_path / "second.sqlite3")
    assert last.size_bytes == os.path.getsize(tmp_path / "second.sqlite3")
    assert (last.head_position, last.verified) == (2, True)
    assert str(tmp_path / "second.sqlite3") in shown
    assert "up to position 2 , verified" in shown
    assert "1 event written since" in shown
    os.remove(tmp_path / "second.sqlite3")
    assert "no longer at that path" in section(client.get("/ops/"), "backup")


def test_backup_records_are_append_only(ops):
    from django.utils import timezone

    from events.exceptions import AppendOnlyError

    record = BackupRecord.objects.create(
        taken_at=timezone.now(), path="/b", size_bytes=1, head_position=0, events_checked=0
    )
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        BackupRecord.objects.all().delete()
