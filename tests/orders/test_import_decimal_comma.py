"""Issue #29: `import_orders` reads files saved by a German spreadsheet: semicolon-separated,
with `--decimal-comma` prices "12,50" and "1.250,00"; a price that could mean two things is
refused, never guessed, and a decimal comma without the option is refused with a hint."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from projections.models import OrderSummary

pytestmark = pytest.mark.django_db

ORDERS = "reference;customer_name;placed_at\nOLD-1;Müller GmbH;2025-03-01T09:00:00\n"


def write(tmp_path, prices: list[str]) -> tuple[str, str]:
    orders, lines = tmp_path / "orders.csv", tmp_path / "lines.csv"
    orders.write_text(ORDERS, encoding="utf-8")
    rows = "".join(f"OLD-1;SKU-{n};Teil;2;{price}\n" for n, price in enumerate(prices))
    lines.write_text("reference;sku;description;quantity;unit_price\n" + rows, encoding="utf-8")
    return str(orders), str(lines)


def run(*args) -> str:
    out = io.StringIO()
    try:
        call_command("import_orders", "--company", "acme", *args, stdout=out)
    except CommandError as error:
        if getattr(error, "returncode", 1) != 2:
            raise
    return out.getvalue()


def test_a_semicolon_file_with_decimal_commas_imports_exactly(acme, tmp_path):
    run("--decimal-comma", *write(tmp_path, ["12,50", "1.250,00"]))

    summary = OrderSummary.objects.get()
    assert [line["unit_price"] for line in summary.lines] == ["12.50", "1250.00"]
    assert summary.total_cents == 2 * 1250 + 2 * 125000


def test_a_price_that_could_mean_two_things_is_refused(acme, tmp_path):
    orders, lines = write(tmp_path, ["1.250"])

    run("--decimal-comma", orders, lines)

    assert not OrderSummary.objects.exists()
    rejects = (tmp_path / "orders.rejects.csv").read_text(encoding="utf-8-sig")
    assert "“1.250” could be 1250 or 1,25" in rejects


def test_a_decimal_comma_without_the_option_is_refused_with_a_hint(acme, tmp_path):
    run(*write(tmp_path, ["12,50"]))

    assert not OrderSummary.objects.exists()
    rejects = (tmp_path / "orders.rejects.csv").read_text(encoding="utf-8-sig")
    assert "--decimal-comma" in rejects


def test_times_without_an_offset_are_read_in_the_company_time_zone(acme, tmp_path):
    acme.time_zone = "Europe/Berlin"
    acme.save()

    run("--decimal-comma", *write(tmp_path, ["1,00"]))

    placed = OrderSummary.objects.get().placed_at
    assert placed.isoformat() == "2025-03-01T08:00:00+00:00"
    assert Decimal(OrderSummary.objects.get().lines[0]["unit_price"]) == Decimal("1.00")
