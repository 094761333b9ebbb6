"""`manage.py import_orders`: orders from another system through the workflow's own commands."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from events.models import Event
from orders.importing import ORDER_COLUMNS, rejects_path
from orders.models import Order
from projections import selectors as dashboard
from projections.models import DashboardDaily, OrderSummary

from .import_files import ORPHAN_LINE_REASON, ZONE, expected_figures, generate

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_orders", *args, stdout=out)
    return out.getvalue()


def import_args(files, *extra) -> list[str]:
    return [
        "--company",
        "acme",
        "--timezone",
        "Europe/Berlin",
        *extra,
        str(files.orders),
        str(files.lines),
    ]


def log_state():
    last = Event.objects.order_by("-position").first()
    return Event.objects.count(), last.hash if last else None


def read_rejects(path) -> dict[tuple[str, int], str]:
    assert path.read_bytes().startswith("\ufeff".encode())  # opens as UTF-8 in spreadsheets
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        assert reader.fieldnames == ["reference", "row", "reason"]
        return {(r["reference"], int(r["row"])): r["reason"] for r in reader}


@pytest.fixture
def files(tmp_path):
    return generate(tmp_path, 120)


def test_import_brings_in_every_valid_order_and_rejects_each_refusal_with_its_reason(acme, files):
    out = run(*import_args(files))

    imported = OrderSummary.objects.filter(company=acme)
    assert imported.count() == len(files.valid)
    rejects = read_rejects(rejects_path(files.orders))
    by_reference = {reference: reason for (reference, _), reason in rejects.items()}
    for reference, fragment in files.refused.items():
        assert fragment in by_reference[reference], (reference, by_reference.get(reference))
    repeated_reference, repeated_row = files.repeated
    assert "reference repeats row" in rejects[(repeated_reference, repeated_row)]
    assert ORPHAN_LINE_REASON in by_reference[files.orphan_reference]
    assert len(rejects) == len(files.refused) + 2
    assert (
        f"imported {len(files.valid)}, skipped as already there 0, rejected {len(rejects)}" in out
    )
    assert "events/s" in out


def test_imported_orders_have_one_event_per_step_at_its_original_time_by_the_operator(
    acme, tmp_path
):
    orders, lines = tmp_path / "orders.csv", tmp_path / "lines.csv"
    orders.write_text(
        ",".join(ORDER_COLUMNS)
        + "\nA-1,Initech,,,,,2026-03-01 09:00,2026-03-01T10:00:00+01:00,2026-03-02T08:00Z,"
        + "2026-03-02 10:00,2026-03-03 10:00,DHL,TRK1,2026-03-05,,\n",
        encoding="utf-8",
    )
    lines.write_text("reference,sku,description,quantity,unit_price\nA-1,W-1,Widget,3,2.50\n")
    run("--company", "acme", "--timezone", "Europe/Berlin", str(orders), str(lines))

    order = Order.objects.get(company=acme)
    assert order.state == "delivered"
    events = list(Event.objects.filter(stream_id=order.id).order_by("version"))
    berlin = ZONE
    assert [(e.event_type, e.occurred_at) for e in events] == [
        ("OrderPlaced", dt.datetime(2026, 3, 1, 9, 0, tzinfo=berlin)),
        ("OrderSubmitted", dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)),
        ("OrderApproved", dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)),
        ("OrderFulfilmentStarted", dt.datetime(2026, 3, 2, 10, 0, tzinfo=berlin)),
        ("OrderShipped", dt.datetime(2026, 3, 3, 10, 0, tzinfo=berlin)),
        ("OrderDelivered", dt.datetime(2026, 3, 5, 0, 0, tzinfo=berlin)),
    ]
    for event in events:
        assert event.metadata["imported_from"] == {
            "file": "orders.csv",
            "row": 2,
            "reference": "A-1",
        }
        assert event.metadata["actor_username"].endswith("(import)")
        assert event.metadata["actor_id"] is None
    assert events[4].payload["tracking_number"] == "TRK1"
    summary = OrderSummary.objects.get(pk=order.id)
    assert summary.placed_at == dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    assert summary.total_cents == 750


def test_a_rerun_imports_nothing_twice(acme, files):
    run(*import_args(files))
    before = log_state()
    out = run(*import_args(files))
    assert log_state() == before
    assert f"imported 0, skipped as already there {len(files.valid)}," in out


def test_a_dry_run_checks_everything_and_writes_nothing(acme, files):
    before = log_state()
    out = run(*import_args(files, "--dry-run"))
    assert log_state() == before
    assert not Order.objects.exists() and not OrderSummary.objects.exists()
    assert not rejects_path(files.orders).exists()
    refused = len(files.refused) + 2
    assert f"would import {len(files.valid)}, skipped as already there 0, rejected {refused}" in out
    # A real run afterwards imports exactly what the dry run announced.
    assert f"imported {len(files.valid)}," in run(*import_args(files))


def test_dashboard_figures_equal_the_figures_computed_from_the_file(acme, files):
    run(*import_args(files))
    expected = expected_figures(files.valid, timezone.get_default_timezone())

    cards = {c.state: (c.count, c.total_cents) for c in dashboard.state_cards(acme.pk) if c.count}
    assert cards == expected["cards"]
    days = DashboardDaily.objects.filter(company=acme)
    assert {d.day: d.placed for d in days if d.placed} == expected["placed"]
    assert {d.day: d.delivered for d in days if d.delivered} == expected["delivered"]
    all_time = dashboard.period(acme.pk, {"period": "all"}, today=timezone.localdate())
    assert dashboard.cycle_times(acme.pk, all_time).mean == expected["average_cycle"]


def test_unknown_columns_refuse_the_file_and_write_nothing(acme, files):
    text = files.orders.read_text(encoding="utf-8").replace("notes", "remarks", 1)
    files.orders.write_text(text, encoding="utf-8")
    before = log_state()
    with pytest.raises(CommandError, match=re.escape("orders.csv: unknown column(s) 'remarks'")):
        run(*import_args(files))
    assert log_state() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--company", "nope"], "No company with the slug 'nope'."),
        (["--company", "acme", "--timezone", "Mars/Olympus"], "Unknown time zone 'Mars/Olympus'"),
    ],
)
def test_bad_options_are_refused_clearly(acme, files, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args, str(files.orders), str(files.lines))


def test_a_missing_file_is_refused_clearly(acme, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run("--company", "acme", str(tmp_path / "orders.csv"), str(tmp_path / "lines.csv"))
