"""`import_orders` imports a reference at most once per company (issue #24 §2, §3): references
that look like JSON come back as the text they are, and two imports of one file running at the
same time (real processes) still import each order once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from events.models import Event
from projections.models import OrderSummary
from tests.orders.test_import_orders import import_args, run, small_files
from tests.together import run_together
from tests.vendor import database_url

ROOT = Path(__file__).resolve().parents[2]
# Reference strings SQLite's JSON functions read back as numbers, booleans, null, arrays, objects.
JSONY = ["1001", "42", "1.50", "true", "false", "null", "0", "-0", "Infinity", "NaN", "1e3"]
JSONY += ["[1]", '{"a": 1}', '"quoted"', " 7"]


def orders_with(references):
    return [{"reference": r, "customer_name": "C", "placed_at": "2025-01-02"} for r in references]


@pytest.mark.django_db
def test_a_rerun_imports_no_reference_twice_whatever_it_looks_like(acme, tmp_path):
    files = small_files(tmp_path, orders_with(JSONY))

    first = run(*import_args(files))
    again = run(*import_args(files))
    third = run(*import_args(files))

    assert f"imported {len(JSONY)}, skipped as already there 0" in first, first
    assert f"imported 0, skipped as already there {len(JSONY)}" in again, again
    assert f"imported 0, skipped as already there {len(JSONY)}" in third, third
    assert OrderSummary.objects.filter(company=acme).count() == len(JSONY)


@pytest.mark.django_db
def test_a_reference_imported_into_one_company_is_still_new_to_another(acme, globex, tmp_path):
    files = small_files(tmp_path, orders_with(["1001"]))
    run(*import_args(files))

    out = run("--company", "globex", *import_args(files)[2:])

    assert "imported 1," in out
    assert Event.objects.filter(event_type="OrderPlaced").count() == 2


IMPORTER = """
import sys
import django
django.setup()
from django.core.management import call_command
print("ready", flush=True)
sys.stdin.readline()
call_command("import_orders", *sys.argv[1:])
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_db")
@pytest.mark.slow
def test_two_imports_of_one_file_started_together_import_each_order_once(acme, tmp_path):
    references = [f"OLD-{n:04d}" for n in range(60)] + JSONY
    files = small_files(tmp_path, orders_with(references))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env["DATABASE_URL"] = database_url()
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", IMPORTER, *import_args(files)],
            cwd=ROOT,
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = run_together(runs, timeout=300)

    assert [process.returncode for process in runs] == [0, 0], outputs
    placed = Event.objects.filter(company=acme, event_type="OrderPlaced")
    assert placed.count() == len(references), outputs
    assert OrderSummary.objects.filter(company=acme).count() == len(references)
