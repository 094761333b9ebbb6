"""The audit log at /audit/: newest first, filters, keyset pages, CSV export, integrity status."""

import csv
import datetime as dt
import html as html_lib
import io
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from events.models import Event
from orders import commands
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
JAN = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)


def positions(response) -> list[int]:
    """The positions of the events listed, in the order shown."""
    html = response.content.decode()
    table = html[html.index('id="audit-table"') :]
    return [int(p) for p in re.findall(r'<tr>\s*<td class="mono">(\d+)</td>', table)]


def older_link(response) -> str | None:
    match = re.search(r'rel="next" href="([^"]+)"', response.content.decode())
    return html_lib.unescape(match.group(1)) if match else None


def csv_rows(response) -> list[dict]:
    return list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )


def note(order, actor, text="note", at=None):
    order.refresh_from_db()
    return commands.add_note(
        order.id, actor=actor, expected_version=order.version, text=text, at=at
    )


def company_positions(company, **filters) -> list[int]:
    events = Event.objects.filter(company=company, **filters).order_by("-position")
    return list(events.values_list("position", flat=True))


@pytest.fixture
def mixed_log(acme, staff, manager):
    """Two orders on three days: placed 1 Jan, noted 5 Jan, submitted and approved 10 Jan (by
    another Manager than the one who placed it: four eyes)."""
    first = factories.place(staff, at=JAN)
    second = factories.place(manager, at=JAN)
    note(first, staff, "call first", at=JAN.replace(day=5))
    commands.submit(second.id, actor=staff, expected_version=1, at=JAN.replace(day=10))
    approver = factories.user("Manager", acme, username="acme.approver")
    commands.approve(second.id, actor=approver, expected_version=2, at=JAN.replace(day=10))
    return first, second


def test_the_log_lists_the_companys_events_newest_first(client, acme, manager, mixed_log):
    log_in(client, manager)

    response = client.get("/audit/")

    assert response.status_code == 200
    assert positions(response) == company_positions(acme)
    assert len(positions(response)) == 5


def test_each_event_names_its_type_order_version_and_actor(client, manager, mixed_log):
    _, second = mixed_log
    log_in(client, manager)

    html = client.get("/audit/").content.decode()

    row = re.search(r"<tr>\s*<td class=\"mono\">5</td>(.*?)</tr>", html, re.S).group(1)
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", c).split())
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    # an approval names the company policy's version and the rule it satisfied (#28)
    assert cells[1:3] == [
        "Approved",
        "Policy: the defaults (version 0) Rule: any amount: one Manager",
    ]
    assert cells[3:6] == [f"{second.number} history", "3", "acme.approver"]
    assert f'href="/orders/{second.id}/"' in row
    assert f'href="/orders/{second.id}/history/"' in row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"event_type": "OrderPlaced"}, {"event_type": "OrderPlaced"}),
        ({"event_type": "NoteAdded"}, {"event_type": "NoteAdded"}),
        ({"actor": "acme.manager"}, {"metadata__actor_username": "acme.manager"}),
        ({"actor": " acme.staff "}, {"metadata__actor_username": "acme.staff"}),
        ({"occurred_after": "2025-01-05"}, {"occurred_at__gte": JAN.replace(day=5, hour=0)}),
        ({"occurred_before": "2025-01-05"}, {"occurred_at__lt": JAN.replace(day=6, hour=0)}),
        (
            {"occurred_after": "2025-01-05", "occurred_before": "2025-01-05"},
            {
                "occurred_at__gte": JAN.replace(day=5, hour=0),
                "occurred_at__lt": JAN.replace(day=6, hour=0),
            },
        ),
    ],
    ids=["type-placed", "type-note", "actor", "actor-padded", "after", "before", "one-day"],
)
def test_each_filter_keeps_only_the_matching_events(
    client, acme, manager, mixed_log, query, expected
):
    log_in(client, manager)

    response = client.get("/audit/", query)

    assert response.status_code == 200
    shown = positions(response)
    assert shown == company_positions(acme, **expected)
    assert 0 < len(shown) < 5


@pytest.mark.parametrize("number", ["ACME-000002", "acme-000002"])
def test_the_order_filter_keeps_one_orders_events(client, manager, mixed_log, number):
    _, second = mixed_log
    log_in(client, manager)

    response = client.get("/audit/", {"order": number})

    assert positions(response) == list(
        Event.objects.filter(stream_id=second.id)
        .order_by("-position")
        .values_list("position", flat=True)
    )
    assert len(positions(response)) == 3


def test_filters_combine(client, manager, mixed_log):
    log_in(client, manager)

    response = client.get("/audit/", {"order": "ACME-000002", "actor": "acme.staff"})

    assert [e.event_type for e in Event.objects.filter(position__in=positions(response))] == [
        "OrderSubmitted"
    ]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"event_type": "OrderTeleported"}, "Select a valid choice."),
        ({"occurred_after": "2025-02-01", "occurred_before": "2025-01-01"}, "must not be before"),
        ({"occurred_after": "soon"}, "Enter a valid date."),
        ({"before": "0"}, "greater than or equal to 1"),
    ],
)
def test_an_invalid_filter_is_400_with_the_error_shown(client, manager, mixed_log, query, error):
    log_in(client, manager)

    response = client.get("/audit/", query)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert positions(response) == []


@pytest.fixture
def long_log(acme, staff):
    """56 events of one order: placed, then 55 notes."""
    order = factories.place(staff)
    for index in range(55):
        order = commands.add_note(
            order.id, actor=staff, expected_version=order.version, text=f"n{index}"
        )
    return order


def test_keyset_pages_continue_exactly_where_the_last_one_ended(client, acme, manager, long_log):
    log_in(client, manager)
    everything = company_positions(acme)
    assert len(everything) == 56

    first = client.get("/audit/")
    second = client.get(f"/audit/{older_link(first)}")

    assert positions(first) == everything[:50]
    assert older_link(first) == f"?before={everything[49]}"
    assert positions(second) == everything[50:]
    assert older_link(second) is None


def test_keyset_pages_keep_the_filters(client, acme, manager, long_log):
    log_in(client, manager)
    notes = company_positions(acme, event_type="NoteAdded")

    first = client.get("/audit/", {"event_type": "NoteAdded"})
    link = older_link(first)
    second = client.get(f"/audit/{link}")

    assert link == f"?event_type=NoteAdded&before={notes[49]}"
    assert positions(first) + positions(second) == notes
    assert len(positions(second)) == 5


def test_with_htmx_the_log_answers_only_its_table(client, manager, long_log):
    log_in(client, manager)

    response = client.get("/audit/", {"before": 10}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="audit-table"')
    assert positions(response) == list(range(9, 0, -1))


def test_a_back_button_restore_of_the_log_gets_the_full_page(client, manager, long_log):
    log_in(client, manager)

    response = client.get(
        "/audit/", {"before": 10}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )

    assert "<html" in response.content.decode()


def test_the_csv_streams_every_matching_event_of_the_company_only(
    client, acme, globex_staff, manager, long_log
):
    factories.place(globex_staff)
    log_in(client, manager)

    response = client.get("/audit/", {"format": "csv"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="event-log.csv"'
    rows = csv_rows(response)
    assert [int(r["position"]) for r in rows] == company_positions(acme)  # all 56, not a page
    assert {r["stream_id"] for r in rows} == {str(long_log.id)}
    newest = Event.objects.filter(company=acme).order_by("-position").first()
    assert rows[0]["hash"] == newest.hash
    assert rows[0]["actor"] == "acme.staff"
    assert json.loads(rows[0]["payload"]) == {"text": "n54"}


def test_the_csv_applies_the_filters(client, acme, manager, mixed_log):
    log_in(client, manager)

    response = client.get("/audit/", {"format": "csv", "actor": "acme.manager"})

    rows = csv_rows(response)
    assert [int(r["position"]) for r in rows] == company_positions(
        acme, metadata__actor_username="acme.manager"
    )
    assert {r["event_type"] for r in rows} == {"OrderPlaced"}  # another Manager approved it


def test_the_csv_link_carries_the_filters_but_not_the_page(client, manager, long_log):
    log_in(client, manager)

    html = client.get("/audit/", {"event_type": "NoteAdded", "before": 30}).content.decode()

    assert 'href="?event_type=NoteAdded&amp;format=csv" data-testid="csv-link"' in html


def test_the_log_shows_the_last_verification_of_the_chain(client, manager, mixed_log):
    log_in(client, manager)
    assert "Not verified yet" in client.get("/audit/").content.decode()
    out = StringIO()

    call_command("verify_events", stdout=out)

    assert out.getvalue().startswith("OK: 5 events checked")
    integrity = client.get("/audit/").content.decode()
    integrity = integrity[
        integrity.index('data-testid="integrity"') : integrity.index('<form method="get"')
    ]
    assert "Chain verified" in integrity
    assert "5 events" not in integrity  # the count spans every company: not shown to tenants
    assert "Not verified yet" not in integrity
