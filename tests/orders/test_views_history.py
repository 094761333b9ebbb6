"""The order history page: the timeline, the order as of a moment, and the CSV export."""

import csv
import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from events import registry
from events.models import Event
from orders import commands
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY_1 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY_2 = DAY_1 + dt.timedelta(days=1)
DAY_3 = DAY_1 + dt.timedelta(days=2)


@pytest.fixture
def known_order(acme, staff, manager):
    """Placed day 1 (2 lines, 31.97), changed day 2 (3 lines, 67.94), submitted day 3,
    rejected day 3 + 1 h by the manager with a reason."""
    order = factories.place(staff, line_count=2, at=DAY_1)
    commands.change_order(
        order.id,
        actor=staff,
        expected_version=1,
        details=factories.details("Initech"),
        lines=factories.lines(3),
        at=DAY_2,
    )
    commands.submit(order.id, actor=staff, expected_version=2, at=DAY_3)
    commands.reject(
        order.id,
        actor=manager,
        expected_version=3,
        reason="Price too low",
        at=DAY_3 + dt.timedelta(hours=1),
    )
    return order


def rows_of(html: str) -> list[list[str]]:
    """The history table's rows as lists of cell texts."""
    body = html[html.index('data-testid="history-table"') :]
    body = body[body.index("<tbody>") : body.index("</tbody>")]
    return [
        [
            re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        ]
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def as_of_section(html: str) -> str:
    start = html.index('data-testid="as-of"')
    return html[start : html.index("</section>", start)]


def history(client, order, **params):
    return client.get(f"/orders/{order.id}/history/", params)


def test_the_timeline_lists_every_event_oldest_first_with_actor_states_and_reason(
    client, known_order, staff
):
    log_in(client, staff)

    response = history(client, known_order)

    assert response.status_code == 200
    events = list(Event.objects.filter(stream_id=known_order.id).order_by("position"))
    rows = rows_of(response.content.decode())
    assert [(int(r[0]), r[2], r[3]) for r in rows] == [
        (number, e.metadata["actor_username"], registry.label_of(e.event_type))
        for number, e in enumerate(events, start=1)  # the company's own numbers
    ]
    assert [r[3] for r in rows] == [
        "Order placed",
        "Details and lines changed",
        "Submitted for approval",
        "Rejected",
    ]
    assert [r[4] for r in rows] == ["→ Draft", "", "Draft → Submitted", "Submitted → Draft"]
    # Placed "at" day 1, recorded now: a back-dated event shows both times.
    assert re.fullmatch(
        r"happened\s+2025-03-01 09:00:00 UTC \(UTC\+00:00\)\s+"
        r"recorded\s+\S+ \S+ UTC \(UTC\+00:00\)",
        rows[0][1],
    )
    assert rows[3][5] == "Submitted → Draft (reason: Price too low)"
    assert rows[3][2] == "acme.manager"


@pytest.mark.parametrize(
    ("moment", "state", "total", "skus"),
    [
        (DAY_1 + dt.timedelta(hours=12), "draft", "€31.97", ["SKU-0", "SKU-1"]),
        (DAY_2 + dt.timedelta(hours=12), "draft", "€67.94", ["SKU-0", "SKU-1", "SKU-2"]),
        (DAY_3 + dt.timedelta(minutes=30), "submitted", "€67.94", ["SKU-0", "SKU-1", "SKU-2"]),
        (DAY_2, "draft", "€67.94", ["SKU-0", "SKU-1", "SKU-2"]),  # an event's own moment counts
    ],
    ids=["day-1.5", "day-2.5", "day-3-after-submit", "exactly-day-2"],
)
def test_as_of_shows_the_state_lines_and_total_at_that_moment(
    client, known_order, staff, moment, state, total, skus
):
    log_in(client, staff)

    response = history(client, known_order, as_of=moment.isoformat())

    assert response.status_code == 200
    section = as_of_section(response.content.decode())
    assert re.search(rf'data-state="{state}"', section)
    assert re.search(rf'data-testid="as-of-total">{total}<', section)
    assert re.findall(r'<td class="mono">([^<]+)</td>', section) == skus


def test_as_of_greys_out_the_events_after_that_moment(client, known_order, staff):
    log_in(client, staff)

    html = history(client, known_order, as_of=(DAY_2 + dt.timedelta(hours=12)).isoformat())
    body = html.content.decode()

    assert body.count('<tr class="text-body-tertiary">') == 2


def test_as_of_before_the_order_existed_says_it_did_not_exist_yet(client, known_order, staff):
    log_in(client, staff)

    response = history(client, known_order, as_of=(DAY_1 - dt.timedelta(minutes=1)).isoformat())

    assert response.status_code == 200
    section = as_of_section(response.content.decode())
    assert "The order did not exist yet at that moment." in section
    assert "as-of-total" not in section


@pytest.mark.parametrize("value", ["yesterday", "2025-13-45T10:00", "2025-03-02T25:61"])
def test_a_malformed_as_of_is_400_with_the_error_shown(client, known_order, staff, value):
    log_in(client, staff)

    response = history(client, known_order, as_of=value)

    assert response.status_code == 400
    assert response.content.decode().count("Enter a valid date/time.") == 1


def test_a_future_as_of_is_400_with_the_error_shown(client, known_order, staff):
    log_in(client, staff)
    tomorrow = timezone.now() + dt.timedelta(days=1)

    response = history(client, known_order, as_of=tomorrow.isoformat())

    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("That moment is in the future; pick a past time.") == 1
    assert 'aria-describedby="as-of-error"' in html


def test_with_htmx_the_history_answers_only_its_body(client, known_order, staff):
    log_in(client, staff)

    response = client.get(
        f"/orders/{known_order.id}/history/", {"as_of": DAY_2.isoformat()}, **HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="history-body"')
    assert 'data-testid="as-of"' in html


def test_with_htmx_an_invalid_as_of_is_a_400_partial_carrying_the_error(client, known_order, staff):
    # The form swaps #history-body: a whole page there would nest a second page in this one.
    log_in(client, staff)

    response = client.get(f"/orders/{known_order.id}/history/", {"as_of": "nonsense"}, **HTMX)

    assert response.status_code == 400
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="history-body"')
    assert "Enter a valid date/time." in html


def test_a_back_button_restore_of_the_history_gets_the_full_page(client, known_order, staff):
    log_in(client, staff)

    response = client.get(
        f"/orders/{known_order.id}/history/",
        {"as_of": DAY_2.isoformat()},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )

    assert response.status_code == 200
    assert "<html" in response.content.decode()


def test_the_csv_export_is_an_attachment_with_one_row_per_event(client, known_order, staff):
    log_in(client, staff)

    response = history(client, known_order, format="csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="ACME-000001-history.csv"'
    assert response.streaming
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    events = list(Event.objects.filter(stream_id=known_order.id).order_by("position"))
    assert [(int(r["position"]), int(r["version"]), r["event_type"], r["actor"]) for r in rows] == [
        (e.position, e.version, e.event_type, e.metadata["actor_username"]) for e in events
    ]
    assert [(r["from_state"], r["to_state"]) for r in rows] == [
        ("", "draft"),
        ("", ""),
        ("draft", "submitted"),
        ("submitted", "draft"),
    ]
    assert rows[3]["reason"] == "Price too low"
    assert dt.datetime.fromisoformat(rows[0]["occurred_at"]) == DAY_1


def test_the_csv_export_carries_the_shipment_data(client, acme, staff):
    order = factories.order_in_state("shipped", acme)
    log_in(client, staff)

    response = history(client, order, format="csv")

    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert (rows[-1]["event_type"], rows[-1]["carrier"], rows[-1]["tracking_number"]) == (
        "OrderShipped",
        "DHL",
        "TRK1",
    )
