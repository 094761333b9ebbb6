"""What witnessing every commit costs a transition: the same commands with and without it.

    python -m bench.witness_cost [--transitions 2000] [--rounds 5] [--orders 50]

A throw-away SQLite file in a temporary folder (production settings, the bench's EVENT_LOG_KEY),
one company, its Manager, `--orders` approved orders. Each round times `--transitions` commands
(hold, then resume, order after order: a state change, one event, the inline projections, one
commit) with the witness as shipped (`events.witness.witness_on_commit`: after each commit one
`write()` by the witness thread, which the commit waits for) and the same number with it
switched off, in alternating order, so that drift (the log and the WAL growing, the machine's
other work) falls on both alike. Times are this process's CPU time (user + system), less
disturbed by other processes than the wall clock (though not immune on an overloaded machine).
Also times `events.witness.record` alone, and the bare write without the thread. Prints the
medians, the paired per-round difference and its quartiles; see bench/README.md, "Witness cost".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.run import bench_environment, witness_switched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=2000, help="per round and mode")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--orders", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="witness-cost-") as folder:
        database = Path(folder) / "witness-cost.sqlite3"
        os.environ.update(bench_environment(database))
        os.environ["WITNESS_DIR"] = str(Path(folder) / "witness")
        return measure(args)


def measure(args) -> int:
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from accounts.models import Company, Role, User
    from events import witness
    from orders import commands
    from orders.demo import order_input

    call_command("migrate", interactive=False, verbosity=0)
    company = Company.objects.create(name="Witness Cost", slug="witness-cost")
    manager = User.objects.create(username="cost.manager", company=company, password="!")
    manager.groups.add(Group.objects.get(name=Role.MANAGER.value))
    staff = User.objects.create(username="cost.staff", company=company, password="!")
    staff.groups.add(Group.objects.get(name=Role.STAFF.value))
    import random

    rng = random.Random(16)
    orders = []
    for _ in range(args.orders):
        details, lines = order_input(rng)
        order = commands.place_order(actor=staff, details=details, lines=lines)
        order = commands.submit(order.id, actor=staff, expected_version=order.version)
        orders.append(commands.approve(order.id, actor=manager, expected_version=order.version))

    def run(count: int) -> float:
        """CPU seconds of this process for `count` commands (hold or resume, whichever the
        order allows). CPU time, not wall time: on a shared machine the wall clock measures
        the neighbours; the witness's cost is CPU and system calls of this process."""
        started = time.process_time()
        for index in range(count):
            slot = index % len(orders)
            order = orders[slot]
            if order.state == "on_hold":
                order = commands.resume(order.id, actor=manager, expected_version=order.version)
            else:
                order = commands.hold(
                    order.id, actor=manager, expected_version=order.version, reason="Cost check"
                )
            orders[slot] = order
        return time.process_time() - started

    run(200)  # warm-up, untimed
    with_witness, without = [], []
    for round_ in range(args.rounds):
        for mode in ("on", "off") if round_ % 2 == 0 else ("off", "on"):
            with witness_switched(on=mode == "on"):
                seconds = run(args.transitions) / args.transitions
            (with_witness if mode == "on" else without).append(seconds)

    calls = 5000
    started = time.process_time()
    for position in range(calls):
        witness.record(10**9 + position, "0" * 64)
    record_us = (time.process_time() - started) / calls * 1e6
    path, line = witness.checkpoint_file(), witness.Checkpoint(1, "0" * 64, "now").line()
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
    started = time.process_time()
    for _ in range(calls):  # the same write without the witness thread
        fd = os.open(path, flags, witness.FILE_MODE)
        os.write(fd, line)
        os.close(fd)
    direct_us = (time.process_time() - started) / calls * 1e6
    size = witness.checkpoint_file().stat().st_size
    with open(witness.checkpoint_file(), "rb") as handle:
        lines = sum(1 for _ in handle)

    on, off_ = statistics.median(with_witness) * 1e3, statistics.median(without) * 1e3
    # Each round's pair ran back to back: the paired differences cancel most of the drift.
    paired = sorted((a - b) * 1e6 for a, b in zip(with_witness, without, strict=True))
    quartiles = statistics.quantiles(paired, n=4) if len(paired) > 1 else [paired[0]] * 3
    print(f"transitions: {args.rounds} rounds x {args.transitions} per mode, alternating")
    print(
        f"  with the witness:    {on:.3f} ms CPU/transition  ({1e3 / on:,.0f}/s)  rounds: "
        + ", ".join(f"{s * 1e3:.3f}" for s in with_witness)
    )
    print(
        f"  without the witness: {off_:.3f} ms CPU/transition  ({1e3 / off_:,.0f}/s)  rounds: "
        + ", ".join(f"{s * 1e3:.3f}" for s in without)
    )
    change = (on / off_ - 1) * 100
    print(
        f"  difference of the medians: {(on - off_) * 1e3:+.1f} µs CPU/transition ({change:+.1f}%)"
    )
    print(
        f"  paired difference per round: median {quartiles[1]:+.1f} µs CPU/transition "
        f"(quartiles {quartiles[0]:+.1f} / {quartiles[2]:+.1f})"
    )
    print(f"witness.record alone: {record_us:.1f} µs CPU/call (through the witness thread)")
    print(f"the bare write: {direct_us:.1f} µs CPU/call (open O_APPEND, write, close)")
    print(f"witness file: {size / lines:.0f} bytes per checkpoint")
    return 0


if __name__ == "__main__":
    sys.exit(main())
