"""The import upload page's work (issue #32): a Manager uploads the two CSV files of
`manage.py import_orders`; the worker checks them with a dry run, the Manager reads what would be
imported and refused, then starts the import, which the worker does, the page showing progress.

The rules and limits are the command's: the same `orders.importing.import_orders`, files checked
by the same reader (an unusable file is refused at upload, as the command refuses it before
writing anything), each order through the workflow's commands, recorded by
"<the Manager> (import)". Each file may be at most `MAX_FILE_BYTES`.

The work is owed to the worker as an outbox item (`ImportRunner`, docs/worker.md): a crash
replays it, and a replayed import skips the references already imported (the importer's own
rule), so nothing is imported twice. Whether the Manager may import is decided when the job is
created, when the import is started, and again by the worker before it writes.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from accounts.authorization import actor_now
from outbox import engine

from . import importing
from .exceptions import ImportJobNotFound, ImportNotPermitted, InvalidImport
from .models import ImportJob

PERMISSION = "orders.import_orders"
MAX_FILE_BYTES = 10 * 1024 * 1024
SHOWN_REFUSALS = 500  # the page lists this many refusals (the counts are exact)
SUBSCRIBER = "imports"
PROGRESS_EVERY_SECONDS = 1.0


def import_job_create(
    *, actor, orders_name: str, orders: bytes, lines_name: str, lines: bytes, time_zone: str
) -> ImportJob:
    """Keep the uploaded files and owe the worker their dry run. Raises `ImportNotPermitted`,
    `InvalidImport` (too large, not UTF-8 CSV, unknown or missing columns, unknown zone)."""
    actor = _may_import(actor)
    for name, content in ((orders_name, orders), (lines_name, lines)):
        if len(content) > MAX_FILE_BYTES:
            raise InvalidImport(
                gettext("%(name)s is larger than %(mb)d MB.")
                % {"name": name, "mb": MAX_FILE_BYTES // 2**20}
            )
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidImport(gettext("Unknown time zone %(zone)r.") % {"zone": time_zone}) from None
    with _files(orders_name, orders, lines_name, lines) as (orders_path, lines_path):
        try:
            importing.read_files(orders_path, lines_path)  # the command's file checks
        except importing.ImportFileError as error:
            raise InvalidImport(str(error)) from None
        orders_text = orders_path.read_text(encoding="utf-8-sig")
        lines_text = lines_path.read_text(encoding="utf-8-sig")
    with transaction.atomic():
        job = ImportJob.objects.create(
            company_id=actor.company_id,
            created_by=actor,
            created_at=timezone.now(),
            orders_name=orders_path.name,
            lines_name=lines_path.name,
            orders_csv=orders_text,
            lines_csv=lines_text,
            time_zone=time_zone,
        )
        _owe(job, dry_run=True)
    return job


def import_job_start(*, actor, job_id) -> ImportJob:
    """Start the import of a checked job (the worker does it). Raises `ImportNotPermitted`,
    `ImportJobNotFound` (also another company's), `InvalidImport` (not checked, or started)."""
    actor = _may_import(actor)
    with transaction.atomic():
        job = _job(actor, job_id, lock=True)
        if job.status != ImportJob.Status.CHECKED:
            raise InvalidImport(
                gettext("This import is %(status)s: it cannot be started now.")
                % {"status": job.get_status_display().lower()}
            )
        job.status, job.done, job.total = ImportJob.Status.IMPORTING, 0, 0
        job.save(update_fields=["status", "done", "total"])
        _owe(job, dry_run=False)
    return job


def import_jobs(actor):
    """The company's import jobs, newest first (without the files' contents)."""
    return ImportJob.objects.filter(company_id=actor.company_id).defer("orders_csv", "lines_csv")


def import_job(actor, job_id) -> ImportJob:
    """The company's job `job_id`; `ImportJobNotFound` for any other."""
    return _job(actor, job_id)


def run_job(job_id, *, dry_run: bool) -> None:
    """The worker's part: run the job's check or import and record the outcome on the job. A
    job that is not waiting for this step (replayed after it finished) is left alone."""
    job = ImportJob.objects.select_related("company", "created_by").filter(pk=job_id).first()
    wanted = ImportJob.Status.CHECKING if dry_run else ImportJob.Status.IMPORTING
    if job is None or job.status != wanted:
        return
    creator = actor_now(job.created_by)
    if not (creator.is_active and creator.has_perm(PERMISSION)):
        _finish(job, status=ImportJob.Status.FAILED, error=str(ImportNotPermitted()))
        return
    with _files(job.orders_name, job.orders_csv, job.lines_name, job.lines_csv) as paths:
        progress = _Progress(job)
        try:
            result = importing.import_orders(
                job.company,
                *paths,
                operator=job.created_by.username,
                zone=ZoneInfo(job.time_zone),
                dry_run=dry_run,
                progress=progress.advance,
                on_total=progress.total,
            )
        except importing.ImportFileError as error:
            _finish(job, status=ImportJob.Status.FAILED, error=str(error))
            return
    summary = _summary(result)
    if dry_run:
        _finish(job, status=ImportJob.Status.CHECKED, dry_run=summary, done=progress.done)
    else:
        _finish(job, status=ImportJob.Status.DONE, result=summary, done=progress.done)


class ImportRunner(engine.Subscriber):
    """Runs the upload page's checks and imports (items owed by `_owe`; no events read)."""

    name = SUBSCRIBER
    event_types = ()
    max_attempts = 3

    def deliver(self, item) -> None:
        run_job(item.data["job"], dry_run=item.data["dry_run"])


# --- internals ------------------------------------------------------------------------------


def _may_import(actor):
    actor = actor_now(actor)
    if actor.company_id is None or not actor.has_perm(PERMISSION):
        raise ImportNotPermitted()
    return actor


def _job(actor, job_id, *, lock: bool = False) -> ImportJob:
    jobs = ImportJob.objects.filter(company_id=actor.company_id)
    if lock:
        jobs = jobs.select_for_update()
    try:
        job = jobs.filter(pk=job_id).first()
    except (ValueError, TypeError):
        job = None
    if job is None:
        raise ImportJobNotFound()
    return job


def _owe(job: ImportJob, *, dry_run: bool) -> None:
    step = "check" if dry_run else "import"
    engine.enqueue(
        SUBSCRIBER,
        company_id=job.company_id,
        key=f"{step}:{job.pk}",
        data={"job": str(job.pk), "dry_run": dry_run},
        summary=f"{step} {job.orders_name} + {job.lines_name}",
        stream_id=job.pk,
    )


class _files:
    """The two files written to a fresh directory under their own (base) names, as the command
    reads them; yields their paths; removed afterwards."""

    def __init__(self, orders_name, orders, lines_name, lines):
        self.files = ((orders_name, orders), (lines_name, lines))

    def __enter__(self) -> tuple[Path, Path]:
        self.directory = tempfile.TemporaryDirectory(prefix="ledgerline-import-")
        root = Path(self.directory.name)
        paths = []
        for index, (name, content) in enumerate(self.files):
            safe = Path(str(name)).name[:150] or f"file{index}.csv"
            path = root / str(index) / safe  # two uploads may carry the same name
            path.parent.mkdir()
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_bytes(content)
            paths.append(path)
        return paths[0], paths[1]

    def __exit__(self, *exc) -> None:
        self.directory.cleanup()


@dataclasses.dataclass
class _Progress:
    """Moves the job's counter for the page at most every `PROGRESS_EVERY_SECONDS`."""

    job: ImportJob
    done: int = 0
    _written_at: float = 0.0

    def total(self, total: int) -> None:
        ImportJob.objects.filter(pk=self.job.pk).update(total=total, done=0)

    def advance(self, count: int) -> None:
        self.done += count
        if time.monotonic() - self._written_at >= PROGRESS_EVERY_SECONDS:
            self._written_at = time.monotonic()
            ImportJob.objects.filter(pk=self.job.pk).update(done=self.done)


def _summary(result: importing.ImportResult) -> dict:
    return {
        "imported": result.imported,
        "skipped": result.skipped,
        "events": result.events,
        "refused": len(result.rejected),
        "refusals": [
            # The English reason and its parts (facts a page translates: `shown_refusals`).
            {"reference": r.reference, "row": r.row, "reason": r.reason, "parts": r.parts}
            for r in result.rejected[:SHOWN_REFUSALS]
        ],
        "seconds": round(result.seconds, 1),
    }


# The parameters of a refusal's reason that name a file's column or the file: shown as code.
CODE_PARAMS = frozenset({"column", "actor", "previous", "field", "lines", "orders"})


def _as_html(key, text: str) -> str:
    """A reason's message or parameter as HTML: escaped; column and file names as code."""
    if key in CODE_PARAMS:
        return format_html("<code>{}</code>", text)
    return conditional_escape(text)


def shown_refusals(refusals: list[dict]) -> list[dict]:
    """A job's stored refusals as a page shows them: each reason in the request's language
    (`importing.reason_text`), and `lang` "en" for one stored before reasons had parts."""
    shown = []
    for refusal in refusals:
        parts = refusal.get("parts")
        # Safe: every message and parameter went through `_as_html`.
        reason = mark_safe(importing.reason_text(parts, None, _as_html)) if parts else None
        shown.append(
            {
                "reference": refusal["reference"],
                "row": refusal["row"],
                "reason": reason or refusal["reason"],
                "lang": "" if parts else "en",
            }
        )
    return shown


def _finish(job: ImportJob, *, status, done=None, **fields) -> None:
    updates = {"status": status, **fields}
    if done is not None:
        updates["done"] = done
    ImportJob.objects.filter(pk=job.pk).update(**updates)
