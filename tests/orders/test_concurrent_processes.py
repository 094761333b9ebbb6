"""Commands from separate server processes at the same moment, on SQLite and PostgreSQL.

Threads of one process queue on a process-wide lock before they reach the database; separate
processes only meet in the database. So each writer here is a real process (as under a
multi-process server), set up against the committed test database, released together.
Whatever the interleaving: no IntegrityError (a 500), one event per command that succeeded,
and a writer that lost a race is told so with a ConcurrencyError (a 409).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.models import Role
from events.models import Event
from events.verification import verify_log
from orders.models import Order
from tests import factories
from tests.together import run_together
from tests.vendor import database_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_db"),
    pytest.mark.slow,
]

# One writer process: say "ready", wait for "go" (so that all start together), run its job,
# print the outcome of each command as one JSON list: "ok", or the exception's class name.
WRITER = """
import json, sys, uuid
import django
django.setup()
from accounts.models import User
from orders import commands
from tests import factories

job = json.loads(sys.argv[1])
actor = User.objects.get(pk=job["actor"])
print("ready", flush=True)
sys.stdin.readline()
outcomes = []
for _ in range(job.get("place", 0)):
    try:
        factories.place(actor)
        outcomes.append("ok")
    except Exception as error:
        outcomes.append(type(error).__name__ + ": " + str(error))
if "approve" in job:
    try:
        commands.approve(
            uuid.UUID(job["approve"]), actor=actor, expected_version=job["version"]
        )
        outcomes.append("ok")
    except Exception as error:
        outcomes.append(type(error).__name__)
print(json.dumps(outcomes), flush=True)
"""


def run_writers(jobs: list[dict]) -> list[list[str]]:
    """Run one process per job, released together; each process's list of outcomes."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env["DATABASE_URL"] = database_url()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, json.dumps(job)],
            cwd=ROOT,
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for job in jobs
    ]
    results = run_together(writers)
    outcomes = []
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    return outcomes


def test_orders_placed_by_four_processes_at_once_are_numbered_without_gaps_or_errors(acme):
    placers = [factories.user(Role.STAFF, acme, username=f"acme.placer{i}") for i in range(4)]

    outcomes = run_writers([{"actor": str(user.pk), "place": 5} for user in placers])

    assert outcomes == [["ok"] * 5] * 4
    numbers = sorted(Order.objects.filter(company=acme).values_list("sequence", flat=True))
    assert numbers == list(range(1, 21))
    assert Event.objects.filter(event_type="OrderPlaced").count() == 20
    result = verify_log()
    assert result.ok, result.summary


def test_four_managers_approving_from_four_processes_record_one_approval(acme):
    order = factories.order_in_state("submitted", acme)
    managers = [factories.user(Role.MANAGER, acme, username=f"acme.boss{i}") for i in range(4)]
    job = {"approve": str(order.pk), "version": order.version}

    outcomes = run_writers([{**job, "actor": str(manager.pk)} for manager in managers])

    assert sorted(outcome for (outcome,) in outcomes) == ["ConcurrencyError"] * 3 + ["ok"]
    assert Event.objects.filter(stream_id=order.pk, event_type="OrderApproved").count() == 1
    assert Order.objects.get(pk=order.pk).state == "approved"
    assert verify_log().ok


def test_placements_and_transitions_from_many_processes_interleave_cleanly(acme):
    order = factories.order_in_state("submitted", acme)
    staff = [factories.user(Role.STAFF, acme, username=f"acme.clerk{i}") for i in range(3)]
    managers = [factories.user(Role.MANAGER, acme, username=f"acme.lead{i}") for i in range(3)]
    jobs = [{"actor": str(user.pk), "place": 4} for user in staff]
    jobs += [
        {"actor": str(m.pk), "place": 2, "approve": str(order.pk), "version": order.version}
        for m in managers
    ]

    outcomes = run_writers(jobs)

    assert outcomes[:3] == [["ok"] * 4] * 3  # the staff's placements
    assert [placed for *placed, _ in outcomes[3:]] == [["ok"] * 2] * 3  # the managers' ones
    assert sorted(approval for *_, approval in outcomes[3:]) == ["ConcurrencyError"] * 2 + ["ok"]
    numbers = sorted(Order.objects.filter(company=acme).values_list("sequence", flat=True))
    assert numbers == list(range(1, 20))  # the submitted order, then 18 placed concurrently
    assert Event.objects.filter(event_type="OrderPlaced").count() == 19
    assert Event.objects.filter(stream_id=order.pk, event_type="OrderApproved").count() == 1
    assert verify_log().ok
