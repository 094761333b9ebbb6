"""`--baseline-ref`: the same page phases against another git ref, on the same data.

The ref's tree is exported with `git archive` (read-only for the repository: no worktree or
branch is created, so nothing is left behind in `.git`) into a folder next to the benchmark
database, and served from there by its own waitress process with the same settings and the
same Python environment. Its database is either

- **copy**: a consistent copy (SQLite's online backup) of this run's database, taken just
  before the page phases, when the ref has the same migrations as this tree (same schema), or
- **seed**: a fresh database seeded by the ref's own `bench.seed.seed` and rebuilt by its own
  `rebuild_projections`, with the same parameters, seed and `now` as this run's database (the
  plans are deterministic, so both hold the same orders in the same states), when the
  migrations differ.

`--baseline-db auto` (the default) picks copy when it can. Bench-only modules the ref lacks
(`bench/settings.py`, `bench/urls.py`, `bench/minimal_view.py`) are taken from this tree.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OVERLAY = ("bench/__init__.py", "bench/settings.py", "bench/urls.py", "bench/minimal_view.py")

# Run inside the baseline's tree with its code: seed exactly as this run's database was seeded.
_SEED = """
import datetime as dt, json, sys
import django
django.setup()
from django.core.management import call_command
from bench import seed
params = json.loads(sys.argv[1])
now = params.pop("now", None)
now = dt.datetime.fromisoformat(now) if now else None
result = seed.seed(now=now, **params)
call_command("rebuild_projections")
print(json.dumps({"events": result.events, "now": result.now}))
"""
SEED_PARAMS = ("companies", "orders", "command_orders", "notes_per_order", "days", "seed")


@dataclasses.dataclass
class Baseline:
    tree: Path  # the exported source tree (cwd of its server)
    db: Path
    env: dict
    info: dict  # ref, commit, subject, database mode: goes into the results JSON
    folder: Path


def git(*words: str) -> str:
    return subprocess.run(
        ["git", *words], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def same_migrations(commit: str) -> bool:
    """Whether the ref's migration files equal this working tree's (hence the same schema)."""
    changed = subprocess.run(
        ["git", "diff", "--name-only", commit, "--", ":(glob)**/migrations/**"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "--", ":(glob)**/migrations/**"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return not changed and not untracked


def export_tree(commit: str, tree: Path) -> None:
    """`git archive <commit>` unpacked into `tree` (emptied first)."""
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    archive = subprocess.Popen(
        ["git", "archive", "--format=tar", commit], cwd=ROOT, stdout=subprocess.PIPE
    )
    with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
        tar.extractall(tree, filter="data")
    if archive.wait() != 0:
        raise RuntimeError(f"git archive {commit} failed")
    for name in OVERLAY:
        if not (tree / name).exists():
            shutil.copy2(ROOT / name, tree / name)


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (the online backup API), WAL folded in."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    with sqlite3.connect(target) as dst:
        dst.execute("PRAGMA journal_mode=WAL")
    sidecar = source.with_name(source.stem + ".seed.json")
    if sidecar.exists():
        shutil.copy2(sidecar, target.with_name(target.stem + ".seed.json"))


def seed_database(tree: Path, db: Path, env: dict, params: dict, *, log) -> dict:
    """Seed `db` with the baseline's own code; reuse it if a previous run seeded it alike."""
    sidecar = db.with_name(db.stem + ".seed.json")
    if db.exists() and sidecar.exists() and json.loads(sidecar.read_text()).get("params") == params:
        log(f"baseline: reusing {db} (seeded alike before)")
        return json.loads(sidecar.read_text())
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    sidecar.unlink(missing_ok=True)
    log(f"baseline: seeding {db} with the baseline's own bench.seed ({params})")
    completed = subprocess.run(
        [sys.executable, "-c", _SEED, json.dumps(params)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"baseline seed failed:\n{completed.stderr[-3000:]}")
    info = {"params": params, **json.loads(completed.stdout.strip().splitlines()[-1])}
    sidecar.write_text(json.dumps(info, indent=2))
    return info


def prepare(args, env: dict, *, log) -> Baseline:
    """Export `args.baseline_ref`, give it a database (copy or seed), return how to serve it."""
    commit = git("rev-parse", "--verify", f"{args.baseline_ref}^{{commit}}")
    folder = args.db.parent / f"baseline-{commit[:12]}"
    tree, db = folder / "tree", folder / "bench.sqlite3"
    log(f"baseline: exporting {args.baseline_ref} ({commit[:12]}) to {tree}")
    export_tree(commit, tree)
    mode = args.baseline_db
    if mode == "auto":
        mode = "copy" if same_migrations(commit) else "seed"
    baseline_env = {
        **env,
        "DATABASE_URL": f"sqlite:///{db}",
        "BENCH_STATIC_ROOT": str(folder / "staticfiles"),
    }
    info = {
        "ref": args.baseline_ref,
        "commit": commit,
        "subject": git("log", "-1", "--format=%s", commit),
        "database": mode,
    }
    if mode == "copy":
        log(f"baseline: same migrations: copying {args.db} (SQLite backup)")
        copy_database(args.db, db)
    else:
        dataset = json.loads(args.db.with_name(args.db.stem + ".seed.json").read_text())
        params = {k: dataset["params"][k] for k in SEED_PARAMS}
        params["now"] = dataset.get("now")
        info["seeded"] = seed_database(tree, db, baseline_env, params, log=log)
        if not params["now"]:
            info["note"] = "this run's database recorded no seeding time: seeded at a new `now`"
    return Baseline(tree=tree, db=db, env=baseline_env, info=info, folder=folder)


def remove(baseline: Baseline) -> None:
    """Delete the exported tree and (in copy mode) the copied database; a seeded one stays."""
    shutil.rmtree(baseline.tree, ignore_errors=True)
    shutil.rmtree(baseline.folder / "staticfiles", ignore_errors=True)
    if baseline.info["database"] == "copy":
        shutil.rmtree(baseline.folder, ignore_errors=True)
