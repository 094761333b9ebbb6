"""The benchmark: its fast seeding path writes what the commands write, and a tiny run reports
every figure (how fast is the benchmark's business, not the test's)."""

import datetime as dt
import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import Role
from bench import baseline, load
from bench import seed as seeding
from bench.pages import REALISTIC_NAMES, evaluate_gate
from bench.run import GATE_MISSED, REQUIRED_FIGURES, exit_code, figure, gate_of
from events.models import Event
from events.verification import verify_log
from orders.projectors import ORDER_EVENTS
from tests.vendor import ON_POSTGRES

ROOT = Path(__file__).resolve().parent.parent
# The before/after part of the tiny run exports HEAD with `git archive` (a source tarball
# without .git still runs the rest).
IN_GIT_CHECKOUT = (
    subprocess.run(
        ["git", "rev-parse", "--verify", "HEAD"], cwd=ROOT, capture_output=True
    ).returncode
    == 0
)
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
# 16 orders over 30 days with this seed cover every order event type, including a late
# cancel (a Manager's) and a revised draft; the first test checks that it still does.
PLAN = {"count": 16, "companies": 2, "days": 30, "seed": 4, "notes": 1.0}


def plan_specs():
    return seeding.order_specs(
        PLAN["count"],
        PLAN["companies"],
        now=NOW,
        days=PLAN["days"],
        seed=PLAN["seed"],
        label="test",
    )


def through_commands(users, specs) -> None:
    for order, index in seeding.timeline(specs, now=NOW, notes_per_order=PLAN["notes"]):
        actor = users[(order.company, seeding.actor_role(order, order.steps[index].action))]
        seeding.apply_through_commands(order, index, actor)


@pytest.mark.django_db
def test_fast_path_events_equal_the_commands_events_for_the_same_plans():
    companies, users = seeding.create_companies_and_users(PLAN["companies"])
    specs = plan_specs()
    through_commands(users, specs)

    result = seeding.compare_with_commands(
        companies=companies, users=users, specs=specs, now=NOW, notes_per_order=PLAN["notes"]
    )

    assert result["differences"] == 0, result["first_differences"]
    assert result["orders"] == PLAN["count"]
    assert result["events_compared"] == Event.objects.count()
    logged_types = set(Event.objects.values_list("event_type", flat=True))
    assert logged_types == ORDER_EVENTS, ORDER_EVENTS ^ logged_types


@pytest.mark.django_db
def test_fast_path_rows_continue_the_chain_and_are_stored_as_django_stores_them():
    companies, users = seeding.create_companies_and_users(PLAN["companies"])
    through_commands(users, plan_specs())
    commands_head = Event.objects.order_by("-position").first().position
    later = seeding.order_specs(10, PLAN["companies"], now=NOW, days=5, seed=9, label="later")

    with seeding.FastPathWriter(users, companies, chunk=25) as writer:
        for order, index in seeding.timeline(later, now=NOW):
            writer.add(order, index)

    assert writer.events == Event.objects.filter(position__gt=commands_head).count() > 0
    assert verify_log().ok
    if ON_POSTGRES:
        return  # the check below reads SQLite's per-value storage types (typeof)
    fields = Event._meta.concrete_fields
    # `|| ''` hands back the stored text itself (the backend would parse datetimes back).
    columns = ", ".join(f"typeof({f.column}), {f.column} || ''" for f in fields)
    for event in Event.objects.filter(position__gt=commands_head):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM events_event WHERE position = %s", [event.position]
            )
            stored = cursor.fetchone()
        as_django_writes_it = [
            f.get_db_prep_save(f.value_from_object(event), connection) for f in fields
        ]
        expected = []
        for value in as_django_writes_it:
            expected += ["integer" if isinstance(value, int) else "text", str(value)]
        assert list(stored) == expected


@pytest.mark.django_db
def test_fast_path_refuses_a_step_the_commands_would_refuse():
    companies, users = seeding.create_companies_and_users(1)
    order = seeding.plan_order(
        random.Random(1), company=0, start=NOW - dt.timedelta(days=1), now=NOW
    )
    order.sequence = 1
    seeding.fast_event(order, 0, actor=users[(0, Role.STAFF)], company=companies[0])
    order.steps[1] = seeding.Step(NOW, "approve", {})  # a draft cannot be approved

    with pytest.raises(seeding.PlanError):
        seeding.fast_event(order, 1, actor=users[(0, Role.MANAGER)], company=companies[0])


def realistic_figures(**overrides) -> dict:
    """Synthetic realistic-phase figures: every page 150 samples, p95 20 ms, no errors."""
    pages = {name: {"requests": 150, "errors": 0, "p95_ms": 20.0} for name in REALISTIC_NAMES}
    for name, figures in overrides.items():
        if figures is None:
            del pages[name]
        else:
            pages[name] = {**pages[name], **figures}
    return pages


def test_gate_passes_when_every_page_is_within_the_limit_without_errors():
    gate = evaluate_gate(realistic_figures(), p95_limit_ms=50, min_samples=100)

    assert gate["passed"] is True
    assert set(gate["pages"]) == set(REALISTIC_NAMES)
    assert all(v["met"] and v["reasons"] == [] for v in gate["pages"].values())


def test_gate_passes_a_page_exactly_at_the_limit():
    gate = evaluate_gate(realistic_figures(list={"p95_ms": 50.0}), p95_limit_ms=50)

    assert gate["passed"] is True


@pytest.mark.parametrize(
    ("overrides", "page", "reason"),
    [
        ({"list_deep": {"p95_ms": 50.01}}, "list_deep", "p95 50.01 ms > 50 ms"),
        ({"transition": {"errors": 1}}, "transition", "1 errors"),
        ({"history": {"requests": 99}}, "history", "99 samples < 100"),
        ({"dashboard": None}, "dashboard", "0 samples < 100"),
        ({"detail": {"p95_ms": None, "requests": 0}}, "detail", "no p95"),
    ],
)
def test_gate_fails_on_one_slow_failing_thinly_sampled_or_missing_page(overrides, page, reason):
    gate = evaluate_gate(realistic_figures(**overrides), p95_limit_ms=50, min_samples=100)

    assert gate["passed"] is False
    assert reason in gate["pages"][page]["reasons"]
    assert [name for name, v in gate["pages"].items() if not v["met"]] == [page]


def test_exit_code_is_zero_when_the_gate_passes_and_gate_missed_when_it_fails():
    def run(gate_pages) -> dict:
        realistic = {
            "gate": evaluate_gate(gate_pages, p95_limit_ms=50, min_samples=100),
            "other_cpu_cores": 0.1,
        }
        results = {"pages": {"current": {"realistic": realistic}}, "missing_figures": []}
        results["gate"] = gate_of(results)
        return results

    assert exit_code(run(realistic_figures()), []) == 0
    assert exit_code(run(realistic_figures(list={"p95_ms": 51})), []) == GATE_MISSED
    assert exit_code(run(realistic_figures()), ["commands"]) == 1
    assert run(realistic_figures())["gate"]["machine_busy"] is False
    not_measured = {"pages": {"current": {}}, "missing_figures": []}
    not_measured["gate"] = gate_of(not_measured)
    assert not_measured["gate"]["passed"] is None and exit_code(not_measured, []) == 0


def test_think_times_come_from_each_clients_seeded_generator():
    def draws(seed: int) -> list[list[float]]:
        sessions = [load.Session("127.0.0.1", 9) for _ in range(3)]  # never connects
        seen: list[list[float]] = [[] for _ in sessions]

        def task(session, recorder, rng):
            seen[sessions.index(session)].append(rng.random())

        load.run_phase(sessions, task, duration=0.2, think=(0.0, 0.0), seed=seed)
        return [values[:5] for values in seen]

    first, again, other = draws(7), draws(7), draws(8)

    assert all(len(values) == 5 for values in first)
    assert first == again
    assert first != other
    assert len({tuple(values) for values in first}) == 3  # each client its own sequence


def test_baseline_database_copy_holds_every_committed_row_of_a_live_wal_file(tmp_path):
    source, target = tmp_path / "live.sqlite3", tmp_path / "copy" / "bench.sqlite3"
    target.parent.mkdir()
    writer = sqlite3.connect(source, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # the rows stay in the WAL file
    writer.execute("CREATE TABLE t (n INTEGER)")
    writer.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(500)])
    (tmp_path / "live.seed.json").write_text('{"params": {}}')

    baseline.copy_database(source, target)

    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT COUNT(*), SUM(n) FROM t").fetchone() == (500, 124750)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert (target.parent / "bench.seed.json").exists()
    writer.close()


def run_tiny_bench(tmp_path, results_name: str, *args: str):
    """Run `bench.run --tiny` with `args` into `tmp_path`: (the finished process, its results
    JSON `results_name`), after checking that the exit code agrees with the gate (whether the
    gate passes depends on the machine)."""
    results_dir = tmp_path / "results"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--tiny",
            *args,
            "--db",
            str(tmp_path / "bench.sqlite3"),
            "--results-dir",
            str(results_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    results = json.loads((results_dir / results_name).read_text())
    expected_code = 0 if results["gate"]["passed"] else GATE_MISSED
    assert completed.returncode == expected_code, (
        completed.stdout[-3000:] + completed.stderr[-5000:]
    )
    return completed, results


@pytest.mark.slow
def test_tiny_benchmark_run_reports_every_figure_before_and_after(tmp_path):
    """The whole `make bench` in miniature, with the page phases also run on HEAD (in a git
    checkout), served from its own exported tree on a database seeded by its own code. Whether
    the gate passes depends on the machine, so only that the exit code agrees with it is
    asserted."""
    completed, results = run_tiny_bench(
        tmp_path,
        "latest-tiny.json",
        *(["--baseline-ref", "HEAD", "--baseline-db", "seed"] if IN_GIT_CHECKOUT else []),
    )
    missing = [
        name
        for name in REQUIRED_FIGURES
        if not isinstance(figure(results, name), (int, float))
        or isinstance(figure(results, name), bool)
    ]
    assert missing == []
    assert results["dataset"]["fast_path_check"]["differences"] == 0
    assert results["dataset"]["verify"]["ok"] is True
    assert {t["target"] for t in results["targets"]} >= {
        "commands: transitions/s",
        "rebuild: events/s",
        "rebuild: peak RSS MiB",
    }
    assert results["gate"]["measured"] is True
    assert set(results["gate"]["pages"]) == set(REALISTIC_NAMES)
    pages = results["pages"]
    sides = ("current", "baseline") if IN_GIT_CHECKOUT else ("current",)
    for side in sides:
        realistic = pages[side]["realistic"]
        assert realistic["errors"] == 0, realistic["pages"]
        assert all(realistic["pages"][name]["requests"] > 0 for name in REALISTIC_NAMES)
        assert set(pages[side]["single"]) == set(pages[side]["capacity"])
        assert all(page["errors"] == 0 for page in pages[side]["capacity"].values())
        assert all(page["errors"] == 0 for page in pages[side]["single"].values())
    assert "| commands |" in completed.stdout
    assert "**Realistic load, gated**" in completed.stdout
    if IN_GIT_CHECKOUT:
        assert pages["baseline_ref"]["database"] == "seed"
        assert " → " in completed.stdout
        assert not (tmp_path / f"baseline-{pages['baseline_ref']['commit'][:12]}" / "tree").exists()


@pytest.mark.slow
@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only: make test-postgres runs it")
def test_tiny_benchmark_run_on_postgresql_reports_every_figure_and_drops_its_database(tmp_path):
    """`make bench DATABASE_URL=postgres://…` in miniature, on the suite's own server: the
    benchmark makes its own database beside the URL's, measures it and drops it."""
    import os

    import psycopg

    url = os.environ["DATABASE_URL"]
    completed, results = run_tiny_bench(
        tmp_path, "latest-postgresql-tiny.json", "--database-url", url
    )
    assert [name for name in REQUIRED_FIGURES if figure(results, name) is None] == []
    assert results["machine"]["database"] == "postgresql"
    assert results["dataset"]["fast_path_check"]["differences"] == 0
    assert results["dataset"]["verify"]["ok"] is True
    assert results["storage"]["tables"]["events_event"]["total_bytes"] > 0
    assert "bare psycopg" in completed.stdout
    with psycopg.connect(url, autocommit=True) as admin:
        left = admin.execute("SELECT datname FROM pg_database WHERE datname LIKE '%_bench'")
        assert left.fetchall() == []
