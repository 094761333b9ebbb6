"""The import upload page (issue #32): a Manager uploads the two CSV files, the worker checks
them (dry run: what would be imported and refused), then imports them, with progress on the
page; the same rules as `manage.py import_orders`."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from events.models import Event
from orders import import_jobs
from orders.models import ImportJob, Order
from outbox import engine
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

ORDERS = (
    "reference,customer_name,placed_at,submitted_at,approved_at,approved_by\n"
    "OLD-1,Initech,2025-03-01T09:00:00Z,2025-03-01T10:00:00Z,2025-03-02T08:00:00Z,Anna Berg\n"
    "OLD-2,Globex,2025-03-01T09:00:00Z,,2025-03-02T08:00:00Z,\n"  # approved, never submitted
    "OLD-3,Hooli,2025-03-04T09:00:00Z,,,\n"
)
LINES = (
    "reference,sku,description,quantity,unit_price\n"
    "OLD-1,CUP-1,Cup,2,3.50\nOLD-2,CUP-1,Cup,1,3.50\nOLD-3,PEN-1,Pen,5,1.00\n"
)


def upload(client, orders=ORDERS, lines=LINES, **extra):
    return client.post(
        "/orders/import/",
        {
            "orders": SimpleUploadedFile("orders.csv", orders.encode(), "text/csv"),
            "lines": SimpleUploadedFile("lines.csv", lines.encode(), "text/csv"),
            "time_zone": "Europe/Berlin",
            **extra,
        },
    )


def work(company) -> None:
    """One round of the worker for the company (the import runner only)."""
    engine.run_company(engine.subscriber(import_jobs.SUBSCRIBER), company.pk)


@pytest.fixture
def manager_client(client, manager):
    log_in(client, manager)
    return client


def test_a_manager_uploads_checks_then_imports_with_the_worker(manager_client, acme, manager):
    response = upload(manager_client)
    assert response.status_code == 302
    job_url = response["Location"]
    waiting = manager_client.get(job_url).content.decode()
    assert "Checking (dry run)" in waiting and 'hx-trigger="every 2s"' in waiting

    work(acme)  # the dry run
    checked = manager_client.get(job_url).content.decode()
    assert not Order.objects.exists()  # a check writes nothing
    assert "2 orders would be imported; 0 are already there; 1 would be refused." in checked
    assert "OLD-2" in checked and "<code>approved_at</code> is set" in checked
    assert "Import 2 orders" in checked

    job = ImportJob.objects.get()
    started = manager_client.post(f"/orders/import/{job.pk}/start/")
    assert started.status_code == 302
    assert "Importing" in manager_client.get(job_url).content.decode()
    work(acme)  # the import
    done = manager_client.get(job_url, HTTP_HX_REQUEST="true").content.decode()

    assert "Imported 2 orders" in done and 'hx-trigger="every 2s"' not in done
    assert Order.objects.filter(company=acme).count() == 2
    approved = Event.objects.get(event_type="OrderApproved")
    assert approved.metadata["actor_username"] == f"{manager.username} (import)"
    assert approved.metadata["original_actor"] == "Anna Berg"
    assert approved.metadata["imported_from"]["file"] == "orders.csv"
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", 3, 3)


def test_a_refusal_reads_in_the_readers_language_and_is_stored_in_english(manager_client, acme):
    """The job stores the reason's English facts; the page translates them when it shows them
    (issue #29's leftover: the reasons were English in the German page)."""
    job_url = upload(manager_client)["Location"]
    work(acme)  # the dry run: OLD-2 is refused

    german = manager_client.get(job_url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = manager_client.get(job_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert (
        "<code>approved_at</code> ist gesetzt, aber der Ablauf erlaubt diesen Schritt nicht für "
        "eine Bestellung, die ein Entwurf ist"
    ) in german
    assert " is set" not in german and 'lang="en"' not in german.split("<main")[-1]
    assert "<code>approved_at</code> is set, but the workflow does not allow that step" in english
    (refusal,) = ImportJob.objects.get().dry_run["refusals"]
    assert refusal["reason"].startswith("approved_at is set, but the workflow")


def test_starting_twice_or_before_the_check_is_refused(manager_client, acme):
    upload(manager_client)
    job = ImportJob.objects.get()

    early = manager_client.post(f"/orders/import/{job.pk}/start/")
    work(acme)
    manager_client.post(f"/orders/import/{job.pk}/start/")
    again = manager_client.post(f"/orders/import/{job.pk}/start/")

    assert early.status_code == 422 and "cannot be started now" in early.content.decode()
    assert again.status_code == 422
    work(acme)
    work(acme)
    assert Order.objects.count() == 2  # imported once


def test_a_replayed_import_imports_nothing_twice(manager_client, acme):
    upload(manager_client)
    work(acme)
    job = ImportJob.objects.get()
    manager_client.post(f"/orders/import/{job.pk}/start/")
    work(acme)
    ImportJob.objects.filter(pk=job.pk).update(status="importing")  # as after a crash

    import_jobs.run_job(job.pk, dry_run=False)

    assert Order.objects.count() == 2
    job.refresh_from_db()
    assert job.result["imported"] == 0 and job.result["skipped"] == 2


@pytest.mark.parametrize(
    ("orders", "message"),
    [
        ("reference,customer,placed_at\n", "unknown column(s) &#x27;customer&#x27;"),
        ("reference,customer_name\n", "missing column(s) placed_at"),
        ("\xff\xfe", "not UTF-8"),
    ],
)
def test_an_unusable_file_is_refused_at_upload(manager_client, orders, message):
    data = orders.encode("latin-1") if orders.startswith("\xff") else orders.encode()
    response = manager_client.post(
        "/orders/import/",
        {
            "orders": SimpleUploadedFile("orders.csv", data),
            "lines": SimpleUploadedFile("lines.csv", LINES.encode()),
            "time_zone": "UTC",
        },
    )

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_and_an_unknown_zone_are_refused(manager_client, monkeypatch):
    monkeypatch.setattr(import_jobs, "MAX_FILE_BYTES", 100)
    big = upload(manager_client)
    monkeypatch.undo()
    zone = upload(manager_client, time_zone="Mars/Olympus")

    assert big.status_code == 422 and "is larger than" in big.content.decode()
    assert zone.status_code == 422 and "Unknown time zone" in zone.content.decode()
    assert not ImportJob.objects.exists()


def test_staff_may_not_import_and_another_companys_import_is_a_404(client, acme, globex):
    log_in(client, factories.user(Role.MANAGER, globex))
    upload(client)
    foreign = ImportJob.objects.get()
    log_in(client, factories.user(Role.STAFF, acme))
    assert client.get("/orders/import/").status_code == 403
    assert upload(client).status_code == 403
    log_in(client, factories.user(Role.MANAGER, acme))

    assert client.get(f"/orders/import/{foreign.pk}/").status_code == 404
    assert client.post(f"/orders/import/{foreign.pk}/start/").status_code == 404
    page = client.get("/orders/import/").content.decode()
    assert str(foreign.pk) not in page


def test_a_manager_demoted_before_the_worker_runs_imports_nothing(manager_client, acme, manager):
    from django.contrib.auth.models import Group

    upload(manager_client)
    work(acme)
    job = ImportJob.objects.get()
    manager_client.post(f"/orders/import/{job.pk}/start/")
    manager.groups.set([Group.objects.get(name="Staff")])

    work(acme)

    job.refresh_from_db()
    assert job.status == "failed" and "Only a Manager may import" in job.error
    assert not Order.objects.exists()


def test_the_list_links_the_import_page_for_managers_only(client, acme, manager, staff):
    log_in(client, manager)
    assert re.search(r'href="/orders/import/"', client.get("/orders/").content.decode())
    log_in(client, staff)
    assert "/orders/import/" not in client.get("/orders/").content.decode()
