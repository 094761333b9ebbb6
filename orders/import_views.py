"""The import upload page (issue #32): upload, the worker's dry run, then the import, with
progress (`orders.import_jobs` does the work). Thin, as the other order pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.login_flow import post_only
from common.exceptions import status_for
from common.pages import render_page

from . import import_jobs
from .exceptions import ImportNotPermitted, OrderError
from .forms import ImportUploadForm

PERMISSION = "orders.import_orders"


@require_http_methods(["GET", "POST"])
@permission_required(PERMISSION, raise_exception=True)
def import_upload(request):
    """The upload form and the company's imports; POST keeps the files and owes their check."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "GET":
        form = ImportUploadForm(initial={"time_zone": settings.TIME_ZONE})
    elif form.is_valid():
        data = form.cleaned_data
        try:
            job = import_jobs.import_job_create(
                actor=request.user,
                orders_name=data["orders"].name,
                orders=data["orders"].read(import_jobs.MAX_FILE_BYTES + 1),
                lines_name=data["lines"].name,
                lines=data["lines"].read(import_jobs.MAX_FILE_BYTES + 1),
                time_zone=data["time_zone"].strip(),
            )
        except OrderError as error:
            return _refused(request, form, error)
        return redirect("orders:import_job", job_id=job.pk)
    status = 400 if request.method == "POST" else 200
    return _upload_page(request, form, status)


@require_http_methods(["GET"])
@permission_required(PERMISSION, raise_exception=True)
def import_job(request, job_id):
    """One import: its state and progress (htmx polls the partial while the worker runs it),
    what the dry run would import and refuse, and the button to import."""
    try:
        job = import_jobs.import_job(request.user, job_id)
    except OrderError as error:
        raise Http404(str(error)) from None
    return render_page(
        request,
        "orders/import_job.html",
        "orders/partials/import_job_status.html",
        _job_context(job),
    )


@post_only
@permission_required(PERMISSION, raise_exception=True)
def import_job_start(request, job_id):
    try:
        job = import_jobs.import_job_start(actor=request.user, job_id=job_id)
    except OrderError as error:
        if status_for(error) == 404:
            raise Http404(str(error)) from None
        if isinstance(error, ImportNotPermitted):
            raise PermissionDenied(str(error)) from None
        job = import_jobs.import_job(request.user, job_id)
        context = {**_job_context(job), "error": str(error)}
        return render(request, "orders/import_job.html", context, status=status_for(error))
    return redirect("orders:import_job", job_id=job.pk)


def _job_context(job) -> dict:
    """The job, its check's and its import's summaries, and the refusals of the latest step."""
    refusals = import_jobs.shown_refusals((job.result or job.dry_run).get("refusals", []))
    return {"job": job, "check": job.dry_run, "result": job.result, "refusals": refusals}


def _refused(request, form, error: OrderError):
    if isinstance(error, ImportNotPermitted):
        raise PermissionDenied(str(error))
    form.add_error(None, str(error))
    return _upload_page(request, form, status_for(error))


def _upload_page(request, form, status: int = 200):
    context = {
        "form": form,
        "jobs": import_jobs.import_jobs(request.user)[:20],
        "max_mb": import_jobs.MAX_FILE_BYTES // 2**20,
    }
    return render(request, "orders/import.html", context, status=status)
