from django.contrib.auth.decorators import permission_required
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from common.csv_export import csv_dialect, csv_response, headers
from common.pages import render_page
from events import witness

from . import controls, erasures, selectors
from .forms import AuditFilterForm, ControlsPeriodForm


@require_GET
@permission_required("audit.view_audit_log", raise_exception=True)
def audit_log(request):
    """Every event of the company, newest first; filters; keyset pages; streaming CSV.

    URLs stay clean: a request naming empty filters is sent to the same query without them
    (a redirect, or for htmx the address pushed into the browser's history)."""
    clean = _without_empty(request.GET)
    if clean != request.GET.urlencode() and not request.htmx:
        return redirect(f"{request.path}?{clean}" if clean else request.path)
    form = AuditFilterForm(request.GET)
    valid = form.is_valid()
    if valid and request.GET.get("format") == "csv":
        return csv_response(
            "event-log.csv",
            headers(selectors.AUDIT_CSV),
            selectors.audit_csv_rows(request.user.company_id, form.cleaned_data),
            csv_dialect(request),
        )
    response = render_page(
        request,
        "events/audit_log.html",
        "events/partials/audit_table.html",
        _audit_context(request, form, valid),
        status=200 if valid else 400,
    )
    if request.htmx:
        return push_url(response, f"{request.path}?{clean}" if clean else request.path)
    return response


def _audit_context(request, form: AuditFilterForm, valid: bool) -> dict:
    """The page of events a valid filter selects (none for an invalid one), the last
    verification and the witness's state, and the actor pick-list."""
    company_id = request.user.company_id
    context = {
        "form": form,
        "page": None,
        "check": selectors.last_integrity_check(),
        "witness_problem": witness.status(),
        "actors": selectors.company_usernames(company_id),
    }
    if valid:
        context["page"] = selectors.audit_page(company_id, form.cleaned_data)
        context["query"] = _without_empty(request.GET, drop=AuditFilterForm.CURSORS)
    return context


def _without_empty(query: QueryDict, drop=()) -> str:
    """`query` encoded without blank values (and without the names in `drop`)."""
    kept = QueryDict(mutable=True)
    for name, values in query.lists():
        if name not in drop:
            kept.setlist(name, [value for value in values if value.strip()])
    return kept.urlencode()


@require_GET
@permission_required("audit.view_audit_log", raise_exception=True)
def controls_report(request):
    """The controls report for auditors over a period (dates in the site's time zone; the last
    90 days by default), as a page or CSV (`?format=csv`). An invalid period is a 400."""
    form = ControlsPeriodForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    start, end = form.period() if valid else ControlsPeriodForm.default_period()
    report = controls.controls_report(request.user.company_id, start, end)
    if valid and request.GET.get("format") == "csv":
        return csv_response(
            "controls-report.csv",
            headers(controls.CONTROLS_CSV),
            controls.controls_csv_rows(report),
            csv_dialect(request),
        )
    context = {
        "form": form,
        "sections": [(name, controls.SECTIONS[name], rows) for name, rows in report.items()],
        "start": start,
        "end": end,
        "query": request.GET.urlencode(),
    }
    return render(request, "events/controls_report.html", context, status=200 if valid else 400)


@require_GET
@permission_required("audit.view_audit_log", raise_exception=True)
def erasure_list(request):
    """The company's erasures, newest first, each linking to its certificate."""
    found = erasures.erasures(request.user.company_id)
    return render(request, "events/erasures.html", {"erasures": found})


@require_GET
@permission_required("audit.view_audit_log", raise_exception=True)
def erasure_certificate(request, event_id):
    """The printable certificate of one erasure (auditors and Managers)."""
    found = erasures.certificate(request.user.company_id, event_id)
    if found is None:
        raise Http404
    context = {"certificate": found, "company_name": request.user.company.name}
    return render(request, "events/erasure_certificate.html", context)
