"""The audit log a person reads (#20): labels, details, links, partial filters with a pick-list,
Newer/Older/Newest pages, clean URLs and a readable summary in the CSV."""

import csv
import html as html_lib
import io
import re

import pytest

from accounts.models import Role
from events.models import Event
from orders import commands
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def rows(response) -> list[str]:
    """Each event row's text, tags removed, newest first."""
    html = response.content.decode()
    table = html[html.index('id="audit-table"') :]
    return [
        " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>") :], re.S)
    ]


def link(response, rel: str) -> str | None:
    match = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())
    return html_lib.unescape(match.group(1)) if match else None


@pytest.fixture
def eventful(acme, staff, manager):
    """One order of each kind of detail: rejected with a reason, shipped, changed, noted."""
    rejected = factories.place(staff)
    rejected = commands.submit(rejected.id, actor=staff, expected_version=1)
    commands.reject(rejected.id, actor=manager, expected_version=2, reason="Wrong prices")
    shipped = factories.order_in_state("shipped", acme)
    draft = factories.place(staff)
    changed = factories.details()
    changed = type(changed)(**{**vars(changed), "shipping_address": "2 Side St"})
    commands.change_order(
        draft.id, actor=staff, expected_version=1, details=changed, lines=factories.lines(3)
    )
    commands.add_note(draft.id, actor=staff, expected_version=2, text="Call before delivery")
    return rejected, shipped, draft


def test_events_are_shown_by_their_label_with_their_details(client, manager, eventful):
    log_in(client, manager)

    text = "\n".join(rows(client.get("/audit/")))

    assert "Rejected Reason: Wrong prices" in text
    assert "Shipped Carrier: DHL Tracking number: TRK1" in text
    assert "Fulfilment started" in text
    assert (
        "Details and lines changed Changed: shipping address: 1 Main St → 2 Side St; "
        "line SKU-2 added: 3 x Item 2 at 11.99 Customer" in text
    )
    assert "Note added Note: Call before delivery" in text
    assert "Order placed Customer: Initech Lines: 2 Total: 31.97 EUR" in text
    assert "OrderFulfilmentStarted" not in text


def test_a_change_that_changed_nothing_says_so(client, acme, staff, manager):
    order = factories.place(staff)
    commands.change_order(
        order.id,
        actor=staff,
        expected_version=1,
        details=factories.details(),
        lines=factories.lines(2),
    )
    log_in(client, manager)

    assert "Changed: nothing" in rows(client.get("/audit/"))[0]


def test_an_amendment_says_what_it_changed_in_the_workflows_words(client, acme, staff, manager):
    """#28: the audit log shows each change of contents before → after, not "Changed: lines"."""
    order = factories.order_in_state("approved", acme)
    lines = factories.lines(2)
    lines[0] = type(lines[0])(**{**vars(lines[0]), "quantity": 7})
    commands.amend_order(
        order.id,
        actor=manager,
        expected_version=order.version,
        details=factories.details(),
        lines=lines,
        reason="Customer called",
    )
    log_in(client, manager)

    (row,) = [r for r in rows(client.get("/audit/")) if "amended" in r.lower()]

    assert "Changed: line SKU-0 quantity: 1 → 7" in row


def test_each_row_links_to_the_order_and_to_its_history(client, manager, eventful):
    _, shipped, _ = eventful
    log_in(client, manager)

    html = client.get("/audit/", {"order": shipped.number}).content.decode()

    assert f'href="/orders/{shipped.id}/"' in html
    assert f'href="/orders/{shipped.id}/history/"' in html


def test_the_actor_filter_matches_part_of_a_username(client, acme, manager, eventful):
    log_in(client, manager)

    response = client.get("/audit/", {"actor": "manag"})

    managers = Event.objects.filter(company=acme, metadata__actor_username="acme.manager")
    assert len(rows(response)) == managers.count() > 0
    assert Event.objects.filter(company=acme).count() > managers.count()


def test_the_order_filter_matches_part_of_an_order_number(client, acme, manager, eventful):
    rejected, _, _ = eventful
    log_in(client, manager)

    response = client.get("/audit/", {"order": rejected.number[-3:]})  # "001" of ACME-000001

    assert len(rows(response)) == 3
    assert Event.objects.filter(company=acme).count() > 3


def test_the_actor_pick_list_offers_the_companys_users_only(
    client, acme, manager, globex_staff, eventful
):
    log_in(client, manager)

    html = client.get("/audit/").content.decode()

    datalist = re.search(r'<datalist id="actor-options">(.*?)</datalist>', html, re.S).group(1)
    offered = re.findall(r'<option value="([^"]+)">', datalist)
    assert offered == sorted(acme.users.values_list("username", flat=True))
    assert globex_staff.username not in offered
    assert 'list="actor-options"' in html


@pytest.fixture
def long_log(acme, staff):
    """120 events of one order: placed, then 119 notes (three pages of 50)."""
    order = factories.place(staff)
    for index in range(119):
        order = commands.add_note(
            order.id, actor=staff, expected_version=order.version, text=f"n{index}"
        )
    return order


def notes_shown(response) -> list[str]:
    return re.findall(r"Note: (n\d+)", "\n".join(rows(response)))


def test_newer_goes_back_to_exactly_the_page_older_came_from(client, manager, long_log):
    log_in(client, manager)

    first = client.get("/audit/")
    second = client.get(f"/audit/{link(first, 'next')}")
    third = client.get(f"/audit/{link(second, 'next')}")
    back_to_second = client.get(f"/audit/{link(third, 'prev')}")
    back_to_first = client.get(f"/audit/{link(back_to_second, 'prev')}")

    assert link(first, "prev") is None  # the newest page has nothing newer
    assert link(third, "next") is None
    assert len(rows(third)) == 20
    assert notes_shown(back_to_second) == notes_shown(second)
    assert rows(back_to_first) == rows(first)
    assert link(back_to_first, "prev") is None
    assert link(back_to_second, "next") == link(first, "next").replace(
        link(first, "next").split("=")[1], link(second, "next").split("=")[1]
    )


def test_pages_keep_the_filters_both_ways(client, manager, long_log):
    log_in(client, manager)

    first = client.get("/audit/", {"event_type": "NoteAdded"})
    older = link(first, "next")
    second = client.get(f"/audit/{older}")
    newer = link(second, "prev")

    assert older.startswith("?event_type=NoteAdded&before=")
    assert newer.startswith("?event_type=NoteAdded&after=")
    assert notes_shown(client.get(f"/audit/{newer}")) == notes_shown(first)


def test_a_page_both_before_and_after_is_refused(client, manager, long_log):
    log_in(client, manager)

    response = client.get("/audit/", {"before": 10, "after": 5})

    assert response.status_code == 400
    assert "not both" in response.content.decode()


def test_empty_filters_are_dropped_from_the_address(client, manager, eventful):
    log_in(client, manager)

    response = client.get("/audit/?event_type=&actor=manag&order=&occurred_after=&occurred_before=")

    assert response.status_code == 302
    assert response["Location"] == "/audit/?actor=manag"


def test_htmx_filtering_pushes_the_clean_address(client, manager, eventful):
    log_in(client, manager)

    response = client.get(
        "/audit/?event_type=&actor=&order=001&occurred_after=&occurred_before=", **HTMX
    )

    assert response.status_code == 200
    assert response["HX-Push-Url"] == "/audit/?order=001"
    assert len(rows(response)) == 3


def test_htmx_with_no_filter_at_all_pushes_the_bare_address(client, manager, eventful):
    log_in(client, manager)

    response = client.get("/audit/?event_type=&actor=", **HTMX)

    assert response["HX-Push-Url"] == "/audit/"


def test_the_csv_has_a_readable_summary_beside_the_raw_payload(client, manager, eventful):
    log_in(client, manager)

    response = client.get("/audit/", {"format": "csv"})

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *_ = csv.reader(io.StringIO(body))
    assert header.index("summary") == header.index("payload") - 1
    summaries = [row["summary"] for row in csv.DictReader(io.StringIO(body))]
    assert "Rejected — Reason: Wrong prices" in summaries
    assert "Shipped — Carrier: DHL; Tracking number: TRK1" in summaries
    assert (
        "Details and lines changed — Changed: shipping address: 1 Main St → 2 Side St; "
        "line SKU-2 added: 3 x Item 2 at 11.99; Customer" in "\n".join(summaries)
    )
    assert "Approved — Policy: the defaults (version 0); Rule: any amount: one Manager" in summaries


def test_the_event_filter_offers_labels(client, manager):
    log_in(client, manager)

    html = client.get("/audit/").content.decode()

    assert '<option value="OrderFulfilmentStarted">Fulfilment started</option>' in html


def test_an_auditor_reads_the_same_log(client, acme, eventful):
    auditor = factories.user(Role.AUDITOR, acme)
    log_in(client, auditor)

    assert "Rejected Reason: Wrong prices" in "\n".join(rows(client.get("/audit/")))


def test_event_numbers_are_only_given_for_the_companys_own_events(acme, globex, staff):
    from events.store import event_numbers

    factories.place(staff)
    factories.place(factories.user(Role.STAFF, globex))
    positions = list(Event.objects.order_by("position").values_list("position", flat=True))

    assert event_numbers(acme.id, positions) == {positions[0]: 1}
    assert event_numbers(globex.id, positions) == {positions[1]: 1}
