"""`manage.py import_orders`: orders from another system through the workflow's own commands."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dashboard import selectors as dashboard
from events.models import Event
from orders.importing import ORDER_COLUMNS, rejects_path
from orders.models import Order
from projections.models import DashboardActivity, OrderSummary
from tests.factories import log_in

from .import_files import ORPHAN_LINE_REASON, ZONE, expected_figures, generate

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    """The command's summary, whether or not rows were rejected (see `run_with_exit_code`)."""
    return run_with_exit_code(*args)[0]


def run_with_exit_code(*args) -> tuple[str, int]:
    """(stdout, the exit code `manage.py import_orders` ends with): a CommandError's
    `returncode` is what Django's `run_from_argv` passes to `sys.exit`. A refused file or
    option (exit code 1) is raised, as before."""
    out = io.StringIO()
    try:
        call_command("import_orders", *args, stdout=out)
    except CommandError as error:
        if error.returncode != 2:
            raise
        return out.getvalue() + f"{error}\n", error.returncode
    return out.getvalue(), 0


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
    placed, delivered = Counter(), Counter()
    for row in DashboardActivity.objects.filter(company=acme):
        day = timezone.localtime(row.slot, timezone.get_default_timezone()).date()
        placed[day] += row.placed
        delivered[day] += row.delivered
    assert {day: n for day, n in placed.items() if n} == expected["placed"]
    assert {day: n for day, n in delivered.items() if n} == expected["delivered"]
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


# --- times the log cannot hold, times in the future, and which column a reason names -------


def small_files(tmp_path, orders: list[dict], lines: list[dict] | None = None):
    """orders.csv and lines.csv from dicts (missing columns empty); one line per order unless
    `lines` is given."""
    import types

    lines = lines or [
        {
            "reference": o["reference"],
            "sku": "S",
            "description": "D",
            "quantity": "1",
            "unit_price": "1.00",
        }
        for o in orders
    ]
    paths = types.SimpleNamespace(orders=tmp_path / "orders.csv", lines=tmp_path / "lines.csv")
    for path, columns, rows in (
        (paths.orders, ORDER_COLUMNS, orders),
        (paths.lines, ("reference", "sku", "description", "quantity", "unit_price"), lines),
    ):
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=columns)
            writer.writeheader()
            writer.writerows({c: row.get(c, "") for c in columns} for row in rows)
    return paths


GOOD = {"reference": "OK-1", "customer_name": "Good Ltd", "placed_at": "2025-01-02T10:00:00Z"}


@pytest.mark.parametrize(
    ("placed_at", "fragment"),
    [
        ("9999-12-31T23:59:59", "Enter a date between 0001-01-02 and 9999-12-30."),
        ("9999-12-31T23:59:59-14:00", "Enter a date between 0001-01-02 and 9999-12-30."),
        ("9999-12-30T23:00:00-14:00", "cannot be recorded: event times must fall between"),
        ("0001-01-01T00:00:00+14:00", "Enter a date between 0001-01-02 and 9999-12-30."),
        ("2999-06-01T00:00:00Z", "is in the future"),
    ],
)
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_time_out_of_bounds_or_in_the_future_is_a_reject_and_the_import_carries_on(
    acme, tmp_path, placed_at, fragment, dry_run
):
    bad = {"reference": "BAD-1", "customer_name": "Bad Ltd", "placed_at": placed_at}
    files = small_files(tmp_path, [GOOD, bad, {**GOOD, "reference": "OK-2"}])

    out = run(*import_args(files, *(["--dry-run"] if dry_run else [])))

    if dry_run:  # the reasons are printed, no file is written
        [line] = [line for line in out.splitlines() if line.startswith("rejected '")]
        assert line.startswith("rejected 'BAD-1' row 3: ")
        reason = line.removeprefix("rejected 'BAD-1' row 3: ")
    else:
        rejects = read_rejects(rejects_path(files.orders))
        assert list(rejects) == [("BAD-1", 3)]
        reason = rejects[("BAD-1", 3)]
    assert reason.startswith(f"placed_at {placed_at!r}")
    assert fragment in reason
    assert (
        f"{'would import' if dry_run else 'imported'} 2, skipped as already there 0, rejected 1"
        in out
    )
    assert OrderSummary.objects.filter(company=acme).count() == (0 if dry_run else 2)


def test_a_step_in_the_future_is_a_reject(acme, tmp_path):
    soon = (timezone.now() + dt.timedelta(days=400)).isoformat()
    files = small_files(tmp_path, [{**GOOD, "submitted_at": soon}])

    run(*import_args(files))

    [reason] = read_rejects(rejects_path(files.orders)).values()
    assert reason.startswith("submitted_at ") and "is in the future" in reason


def test_a_step_earlier_than_the_one_before_is_a_reject(acme, tmp_path):
    files = small_files(tmp_path, [{**GOOD, "submitted_at": "2025-01-01T10:00:00Z"}])

    run(*import_args(files))

    [reason] = read_rejects(rejects_path(files.orders)).values()
    assert reason.startswith("submitted_at (2025-01-01T10:00:00Z) is earlier than placed_at")


def test_a_reject_names_the_column_or_lines_row_the_problem_is_in(acme, tmp_path):
    orders = [
        {**GOOD, "reference": "NO-NAME", "customer_name": ""},
        {**GOOD, "reference": "BAD-QTY"},
        {
            **GOOD,
            "reference": "NO-CARRIER",
            "submitted_at": "2025-01-02T11:00:00Z",
            "approved_at": "2025-01-02T12:00:00Z",
            "fulfilment_started_at": "2025-01-02T13:00:00Z",
            "shipped_at": "2025-01-02T14:00:00Z",
            "carrier": "x" * 500,
        },
    ]
    line = {"sku": "S", "description": "D", "quantity": "1", "unit_price": "1.00"}
    lines = [
        {**line, "reference": "NO-NAME"},
        {**line, "reference": "BAD-QTY"},
        {**line, "reference": "BAD-QTY", "quantity": "0"},
        {**line, "reference": "NO-CARRIER"},
    ]
    files = small_files(tmp_path, orders, lines)

    run(*import_args(files))

    rejects = read_rejects(rejects_path(files.orders))
    assert rejects[("NO-NAME", 2)] == "customer_name: Customer name is required."
    assert rejects[("BAD-QTY", 3)] == (
        "lines.csv row 4, quantity: Quantity must be between 1 and 1,000,000."
    )
    assert rejects[("NO-CARRIER", 4)].startswith("carrier: ")


def test_rejected_rows_end_the_command_with_exit_code_2_and_the_summary_says_so(acme, tmp_path):
    files = small_files(tmp_path, [GOOD, {**GOOD, "reference": "BAD-1", "customer_name": ""}])

    out, code = run_with_exit_code(*import_args(files))

    assert code == 2
    assert "imported 1, skipped as already there 0, rejected 1" in out
    assert f"1 order was rejected (exit code 2); see {rejects_path(files.orders)}." in out


def test_a_dry_run_with_rejects_also_ends_with_exit_code_2(acme, tmp_path):
    files = small_files(tmp_path, [{**GOOD, "customer_name": ""}])

    out, code = run_with_exit_code(*import_args(files, "--dry-run"))

    assert code == 2
    assert "1 order would be rejected (exit code 2)" in out
    assert not rejects_path(files.orders).exists()


def test_a_clean_import_ends_with_exit_code_0(acme, tmp_path):
    files = small_files(tmp_path, [GOOD])

    out, code = run_with_exit_code(*import_args(files))

    assert code == 0
    assert "No rows rejected." in out


def test_a_clean_rerun_removes_the_rejects_file_of_an_earlier_run(acme, tmp_path):
    bad = {**GOOD, "reference": "BAD-1", "customer_name": ""}
    first = small_files(tmp_path, [GOOD, bad])
    run(*import_args(first))
    assert rejects_path(first.orders).exists()
    fixed = small_files(tmp_path, [GOOD, {**bad, "customer_name": "Fixed Ltd"}])

    out, code = run_with_exit_code(*import_args(fixed))

    assert code == 0
    assert not rejects_path(fixed.orders).exists()
    assert f"Removed {rejects_path(fixed.orders)}: its rejects were from an earlier run." in out


def test_a_rerun_with_rejects_overwrites_the_earlier_rejects_file(acme, tmp_path):
    run(*import_args(small_files(tmp_path, [{**GOOD, "reference": "A", "customer_name": ""}])))
    files = small_files(tmp_path, [{**GOOD, "reference": "B", "customer_name": ""}])

    out, code = run_with_exit_code(*import_args(files))

    assert code == 2
    assert list(read_rejects(rejects_path(files.orders))) == [("B", 2)]
    assert "(replacing the earlier run's file)" in out


def test_an_imported_orders_detail_shows_its_old_system_reference(acme, tmp_path, client, staff):
    files = small_files(tmp_path, [{**GOOD, "reference": "LEGACY-4711"}])
    run(*import_args(files))
    order = OrderSummary.objects.get(company=acme)
    log_in(client, staff)

    html = client.get(f"/orders/{order.id}/").content.decode()

    match = re.search(r'data-testid="imported-from">(.*?)</dd>', html, re.S)
    assert match and "LEGACY-4711" in match.group(1)
