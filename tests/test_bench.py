"""The benchmark: its fast seeding path writes what the commands write, and a tiny run reports
every figure (how fast is the benchmark's business, not the test's)."""

import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import Role
from bench import seed as seeding
from bench.run import REQUIRED_FIGURES, figure
from events.models import Event
from events.verification import verify_log
from projections.projectors import ORDER_EVENTS
from tests.vendor import ON_POSTGRES

ROOT = Path(__file__).resolve().parent.parent
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


@pytest.mark.slow
def test_tiny_benchmark_run_reports_every_figure(tmp_path):
    results_dir = tmp_path / "results"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--tiny",
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

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    results = json.loads((results_dir / "latest-tiny.json").read_text())
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
    assert "| commands |" in completed.stdout and "| pages |" in completed.stdout
