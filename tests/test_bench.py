"""The benchmark: its seed decides what the commands decide and leaves the read models built, and
a tiny run reports every figure (how fast is the benchmark's business, not the test's)."""

import datetime as dt
import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import Company, Role, User
from bench import seed as seeding
from bench.commands import MOVES, Ours, Peer, probe, summarize, timed_round
from bench.pages import PAGES, REALISTIC_NAMES, evaluate_gate, page_figures
from bench.report import _get, goals, print_run
from bench.run import DEFAULT_DB, GATE_MISSED, exit_code, gate_of, parse_args, write_results
from events.models import Event
from events.verification import verify_log
from orders import commands
from orders.exceptions import TransitionNotAllowed
from orders.models import Order
from orders.projectors import ORDER_EVENTS
from projections import engine
from projections.models import OrderSummary, ProjectionCheckpoint
from projections.registry import all_projections
from tests.projections.conftest import rebuildable_db  # noqa: F401 (a fixture)
from tests.vendor import ON_POSTGRES

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("rebuildable_db")
def test_seed_decides_the_commands_events_and_leaves_every_read_model_built():
    """The seed's first orders go through the commands and are compared, step by step, with the
    events the seed decides itself; the rest are appended with the projections behind, then
    rebuilt: afterwards the projections follow the log and a command works on any order."""
    figures = seeding.seed(
        companies=2, orders=60, command_orders=40, days=30, seed=4, log=lambda _: None
    )

    check = figures["fast_path_check"]
    assert check["differences"] == 0, check["first_differences"]
    assert check["orders"] == 40 and 0 < check["events_compared"] < Event.objects.count()
    logged_types = set(Event.objects.values_list("event_type", flat=True))
    # The demo plan uses no company controls (no limits, no corrections): those events are
    # compared by tests/orders/test_company_controls.py and tests/projections instead.
    planned = ORDER_EVENTS - {
        "OrderApprovalRecorded", "OrderSubmittedAutoApproved", "OrderAmended", "OrderReopened"
    }  # fmt: skip
    assert logged_types == planned, planned ^ logged_types
    assert verify_log().ok
    assert Order.objects.count() == OrderSummary.objects.count() == 60
    assert set(ProjectionCheckpoint.objects.values_list("position", flat=True)) == {None}
    assert engine.verify(all_projections()) == []
    last = Order.objects.filter(state="draft").order_by("-sequence").first()  # a direct one
    staff = User.objects.get(username=f"{Company.objects.get(pk=last.company_id).slug}.staff")
    moved = commands.add_note(last.id, actor=staff, expected_version=last.version, text="Hi")
    assert moved.version == last.version + 1


@pytest.mark.django_db
def test_seed_refuses_a_step_the_commands_would_refuse():
    companies, users = seeding.create_companies_and_users(1)
    order = seeding.plan_order(random.Random(1), 0, NOW - dt.timedelta(days=1), NOW)
    order.sequence = 1
    seeding.event_for(order, 0, users[(0, Role.STAFF)], companies[0])
    order.steps[1:] = [(NOW, "approve", {})]  # a draft cannot be approved

    with pytest.raises(TransitionNotAllowed):
        seeding.event_for(order, 1, users[(0, Role.MANAGER)], companies[0])


def test_peer_makes_the_same_moves_on_sqlite_at_the_apps_durability(tmp_path):
    """The eventsourcing peer: one aggregate event per move (naming it), on a file with the app's
    PRAGMAs (WAL, synchronous=NORMAL), its statements counted by sqlite3's trace callback and
    its WAL pages from the frame count."""
    peer = Peer(tmp_path / "peer.sqlite3")
    rng = random.Random(1)

    timed = summarize([timed_round(peer, 3, rng)])
    figures = probe(peer, 2, rng)

    assert timed["commands"] == 3 * (1 + len(MOVES)) and timed["per_s"] > 0
    assert peer.events() == 5 * (1 + len(MOVES))
    # place: one INSERT; each move: the stream's SELECT (repository.get) and one INSERT.
    assert figures["statements_per_command"] == round((1 + 2 * len(MOVES)) / 6, 2)
    assert 1 <= figures["wal_pages_per_commit"] < 10
    for raw in peer.raw:
        assert raw.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    stored = (
        peer.raw[0]
        .execute(
            "SELECT topic, state FROM stored_events ORDER BY originator_id, originator_version"
        )
        .fetchall()
    )
    assert [topic.rsplit(".", 1)[-1] for topic, _ in stored[:6]] == ["Placed", *["Moved"] * 5]
    assert [json.loads(state)["name"] for _, state in stored[1:6]] == list(MOVES)


@pytest.mark.django_db
def test_our_variant_places_and_delivers_an_order_counting_every_statement_django_sends():
    from django.test.utils import CaptureQueriesContext

    from orders.models import Order

    seeding.create_companies_and_users(1)
    ours, counter, latencies = Ours(), [0, 0], []

    with CaptureQueriesContext(connection) as captured, ours.counting(counter):
        ours.cycle(random.Random(1), latencies)

    sent = [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA"))
    ]
    assert len(latencies) == 1 + len(MOVES)
    assert counter[0] == len(sent) >= 2 * len(latencies)
    assert Order.objects.get().state == "delivered"


def goal_row(results: dict, prefix: str) -> dict:
    return next(row for row in goals(results) if row["figure"].startswith(prefix))


def test_goals_compare_each_figure_with_its_same_run_reference():
    def sqlite_results(vs_peer: float) -> dict:
        ours = {"per_s": 100.0 * vs_peer, "cpu_ms": 2.0, "statements_per_command": 8}
        ours["wal_pages_per_commit"] = 12.0
        peer = {"per_s": 100.0, "cpu_ms": 0.25, "statements_per_command": 1.83}
        peer.update(wal_pages_per_commit=2.0, bytes_per_event=300.0)
        return {
            "machine": {"database": "sqlite"},
            "commands": {"ours": ours, "peer": peer, "bare": {"per_s": 10_000.0},
                         "vs_peer": vs_peer, "vs_bare": vs_peer / 100},
            "storage": {"bytes_per_event": 900.0, "raw_row_bytes": 600.0},
        }  # fmt: skip

    assert goal_row(sqlite_results(0.5), "commands/s vs the peer")["met"] is True
    assert goal_row(sqlite_results(0.49), "commands/s vs the peer")["met"] is False
    assert goal_row(sqlite_results(0.5), "statements per command")["met"] is True
    wal = goal_row(sqlite_results(0.5), "WAL pages")
    assert (wal["met"], wal["ratio"]) == (False, 6.0)
    storage = goal_row(sqlite_results(0.5), "storage B/event vs the raw row")
    assert (storage["ratio"], storage["met"]) == (1.5, True)
    assert goal_row(sqlite_results(0.5), "storage B/event vs the peer")["reference"] == 300.0
    postgres = {
        "machine": {"database": "postgresql"},
        "commands": {"ours": {"per_s": 60.0}, "bare": {"per_s": 300.0}, "vs_bare": 0.2},
        "rebuild": {"events_per_s": 10.0, "vs_scan": 0.5, "reference": {"scan_events_per_s": 20}},
    }
    assert goal_row(postgres, "PostgreSQL commands/s")["met"] is False
    assert goal_row(postgres, "PostgreSQL rebuild events/s")["met"] is True


@pytest.mark.parametrize(
    "option",
    [["--orders", "0"], ["--orders", "-5"], ["--rounds", "0"], ["--cycles", "0"],
     ["--mail-rate", "0"], ["--realistic-duration", "nan"], ["--tiny", "--rounds", "-1"]],
)  # fmt: skip
def test_a_count_or_duration_of_zero_or_less_is_refused_naming_the_option(option, capsys):
    """Not a seed of no orders measured as fine, nor a commands section failing with a
    traceback (no rounds: no median; no cycles: a division by zero) or a mail probe that
    divides by its rate."""
    with pytest.raises(SystemExit) as stopped:
        parse_args(option)

    assert stopped.value.code == 2
    named = next(word for word in option if word.startswith("--") and word != "--tiny")
    assert f"error: {named}: must be more than 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "said"),
    [("mysql://ledgerline@127.0.0.1/x", "a postgres:// URL, not mysql://"),
     # make test has no psycopg (requirements-postgres.txt): that is said instead.
     ("postgres://nobody@127.0.0.1:1/x",
      "connection failed" if importlib.util.find_spec("psycopg") else "No module named 'psycopg'"),
     ("postgres://127.0.0.1:port/x", "")],
)  # fmt: skip
def test_a_database_url_that_is_no_reachable_postgresql_server_is_refused_at_once(
    url, said, capsys
):
    """Not a traceback from the first connection, after the arguments were taken."""
    with pytest.raises(SystemExit) as stopped:
        parse_args(["--database-url", url])

    assert stopped.value.code == 2
    assert f"error: --database-url: {said}" in capsys.readouterr().err


def test_options_given_beside_tiny_win_over_its_preset():
    """`--tiny --orders 1000` seeded 400 orders."""
    args = parse_args(["--tiny", "--orders", "1000", "--cycles", "20"])
    tiny = parse_args(["--tiny"])

    assert (args.orders, args.cycles, args.companies, args.min_samples) == (1000, 20, 2, 3)
    assert (tiny.orders, tiny.cycles, tiny.db.name) == (400, 6, "bench-tiny.sqlite3")
    assert parse_args([]).db == DEFAULT_DB.resolve() and parse_args([]).min_samples == 100


def test_sections_and_phases_may_be_listed_in_any_order_and_with_spaces(tmp_path):
    """`--only "pages, commands"` was refused (" commands"), and every section listed in another
    order than the run's wrote <vendor>-partial.json, not the full run's file."""
    chosen = parse_args(["--only", "pages, commands", "--page-phases", "realistic, single"])
    everything = ["--only", "pages,commands,storage,rebuild", "--page-phases",
                  "capacity,realistic,single", "--results-dir", str(tmp_path)]  # fmt: skip

    assert (chosen.sections, chosen.page_phases) == (("pages", "commands"), ("realistic", "single"))
    assert write_results(parse_args(everything), {}).name == "sqlite.json"


def test_the_run_line_shows_no_witness_cost_when_the_commands_did_not_run(capsys):
    results = {"started_at": "2026-12-07T12:00:00Z", "code": {"head": "abc", "subject": "s"},
               "machine": {"nproc": 2, "python": "3.12", "database": "sqlite",
                           "database_version": "3.40", "database_settings": {}}}  # fmt: skip
    print_run(results)

    assert "witness - µs CPU" in capsys.readouterr().out


def test_each_page_phase_reports_the_cores_the_server_locust_and_the_rest_used():
    """bench/README.md, "Pages": the single phase too, whose windows were measured and left out
    (so a busy box went unseen behind its p50 and CPU ms)."""
    window = {"seconds": 2.0, "server_cpu_cores": 0.5, "client_cpu_cores": 0.1,
              "other_cpu_cores": 0.7}  # fmt: skip
    run = {"pages": {key: {"requests": 10, "errors": 0, "p50_ms": 5} for key in PAGES},
           "windows": dict.fromkeys(PAGES, window)}  # fmt: skip

    for phase in ("single", "capacity"):
        figures = page_figures(run, phase)
        assert {figures[key]["other_cpu_cores"] for key in PAGES} == {0.7}, phase
        assert {figures[key]["server_cpu_cores"] for key in PAGES} == {0.5}, phase
    assert page_figures(run, "single")["list"]["server_cpu_ms_per_request"] == 100.0


def test_the_realistic_row_names_the_users_the_phase_ran():
    """A --tiny run's 4 users were shown as "20 users"."""
    gate = evaluate_gate(realistic_figures(), p95_limit_ms=50, min_samples=100)
    results = {"machine": {"database": "sqlite"},
               "pages": {"realistic": {"gate": gate}, "setup": {"clients": 4}}}  # fmt: skip

    assert goal_row(results, "realistic load")["figure"].startswith("realistic load (4 users")


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


def test_gate_fails_when_the_commit_to_mail_delay_misses_its_goal_or_a_mail_is_missing():
    def gate(p95_s, missing=0) -> dict:
        mail = {"p95_s": p95_s, "missing": missing, "goal_p95_s": 2.0}
        return evaluate_gate(realistic_figures(), mail=mail)

    assert gate(2.0)["passed"] is True
    assert gate(2.1)["mail"]["reasons"] == ["p95 2.1 s > 2.0 s"]
    assert gate(2.1)["passed"] is gate(0.5, missing=1)["passed"] is gate(None)["passed"] is False
    results = {"pages": {"realistic": {"other_cpu_cores": 0.1, "gate": gate(3.0)}}}
    results["gate"] = gate_of(results)
    assert exit_code(results, []) == GATE_MISSED


def test_exit_code_is_zero_when_the_gate_passes_and_gate_missed_when_it_fails():
    def run(gate_pages) -> dict:
        realistic = {
            "gate": evaluate_gate(gate_pages, p95_limit_ms=50, min_samples=100),
            "other_cpu_cores": 0.1,
        }
        results = {"pages": {"realistic": realistic}}
        results["gate"] = gate_of(results)
        return results

    assert exit_code(run(realistic_figures()), []) == 0
    assert exit_code(run(realistic_figures(list={"p95_ms": 51})), []) == GATE_MISSED
    assert exit_code(run(realistic_figures()), ["commands"]) == 1
    assert run(realistic_figures())["gate"]["machine_busy"] is False
    not_measured = {"pages": {}}
    not_measured["gate"] = gate_of(not_measured)
    assert not_measured["gate"]["passed"] is None and exit_code(not_measured, []) == 0


VARIANT_FIGURES = ("per_s", "cpu_ms", "p95_ms", "statements_per_command")
REQUIRED_FIGURES = (
    "dataset.orders",
    "dataset.events",
    "dataset.verify.events_per_s",
    "rebuild.events_per_s",
    "rebuild.peak_rss_mib",
    "rebuild.reference.scan_events_per_s",
    "rebuild.vs_scan",
    "storage.bytes_per_event",
    "storage.raw_row_bytes",
    "commands.vs_bare",
    "commands.witness_cost_cpu_us",
    *(
        f"commands.{variant}.{figure}"
        for variant in ("ours", "ours_no_witness", "bare")
        for figure in VARIANT_FIGURES
    ),
    *(
        f"pages.realistic.pages.{name}.{f}"
        for name in REALISTIC_NAMES
        for f in ("requests", "p95_ms")
    ),
    *(f"pages.capacity.{key}.{f}" for key in PAGES for f in ("rps", "p95_ms")),
    *(f"pages.capacity.{key}.rps_vs_minimal" for key in PAGES if key != "minimal"),
    *(f"pages.single.{key}.{f}" for key in PAGES for f in ("p50_ms", "other_cpu_cores")),
)
PEER_FIGURES = (
    "commands.vs_peer",
    "commands.peer.events",
    "commands.ours.wal_pages_per_commit",
    "commands.peer.wal_pages_per_commit",
    *(f"commands.peer.{figure}" for figure in VARIANT_FIGURES),
)


def run_tiny_bench(tmp_path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    """`bench.run --tiny` into `tmp_path`: the finished process and its results JSON, after
    checking that the exit code agrees with the gate (whether the gate passes depends on how
    busy the machine is) and that every figure the run must report is a number."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.run", "--tiny", *args, "--db", str(tmp_path / "b.sqlite3"),
         "--results-dir", str(tmp_path / "results")],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    written = list((tmp_path / "results").glob("*.json"))
    assert len(written) == 1, completed.stdout[-3000:] + completed.stderr[-5000:]
    results = json.loads(written[0].read_text())
    expected_code = 0 if results["gate"]["passed"] else GATE_MISSED
    assert completed.returncode == expected_code, (
        completed.stdout[-3000:] + completed.stderr[-5000:]
    )
    required = REQUIRED_FIGURES + (() if ON_POSTGRES else PEER_FIGURES)
    missing = [name for name in required if not isinstance(_get(results, name), int | float)]
    assert missing == []
    assert results["dataset"]["fast_path_check"]["differences"] == 0
    assert results["dataset"]["verify"]["ok"] is True
    assert results["gate"]["measured"] is True and set(results["gate"]["pages"]) == set(
        REALISTIC_NAMES
    )
    pages = results["pages"]
    assert pages["realistic"]["errors"] == 0 and pages["realistic"]["logins_failed"] == 0
    assert all(pages["realistic"]["pages"][name]["requests"] > 0 for name in REALISTIC_NAMES)
    for phase in ("single", "capacity"):
        assert all(page["errors"] == 0 and page["requests"] > 0 for page in pages[phase].values())
    mail = pages["realistic"]["mail"]  # #26: submits mailed by a real worker meanwhile
    assert mail["submits"] > 0 and mail["mails"] == 2 * mail["submits"] and mail["missing"] == 0
    assert isinstance(mail["p95_s"], float) and results["gate"]["mail"]["p95_s"] == mail["p95_s"]
    assert "Goals (issue #25)" in completed.stdout
    return completed, results


@pytest.mark.slow
def test_tiny_benchmark_run_reports_every_figure_beside_the_peer_measured_in_the_same_run(tmp_path):
    """The whole `make bench` in miniature: seed, rebuild, storage, the command rounds of ours,
    the eventsourcing peer and the bare driver, and the three locust page phases."""
    _, results = run_tiny_bench(tmp_path)

    commands = results["commands"]
    assert commands["setup"]["rounds"] == 3
    assert all(len(commands[v]["per_s_rounds"]) == 3 for v in ("ours", "peer", "bare"))
    assert commands["peer"]["events"] >= 3 * 6 * commands["setup"]["cycles"]
    figures = {row["figure"] for row in results["goals"]}
    assert any(f.startswith("commands/s vs the peer") for f in figures)
    assert any(f.startswith("storage B/event vs the peer") for f in figures)
    assert (tmp_path / "results" / "sqlite-tiny.json").exists()


@pytest.mark.slow
@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only: make test-postgres runs it")
def test_tiny_benchmark_run_on_postgresql_reports_every_figure_and_drops_its_database(tmp_path):
    """`make bench DATABASE_URL=postgres://…` in miniature, on the suite's own server: the
    benchmark makes its own database beside the URL's, measures it and drops it."""
    import os

    import psycopg

    url = os.environ["DATABASE_URL"]
    _, results = run_tiny_bench(tmp_path, "--database-url", url)

    assert results["machine"]["database"] == "postgresql"
    assert results["commands"]["ours"]["wal_bytes_per_commit"] > 0
    assert results["commands"]["bare"]["wal_bytes_per_commit"] > 0
    assert results["storage"]["tables"]["events_event"]["total_bytes"] > 0
    assert any(row["figure"].startswith("PostgreSQL commands/s") for row in results["goals"])
    with psycopg.connect(url, autocommit=True) as admin:
        left = admin.execute("SELECT datname FROM pg_database WHERE datname LIKE '%_bench'")
        assert left.fetchall() == []
