from django.contrib.auth.decorators import permission_required
from django.views.decorators.http import require_GET

from accounts.csv_export import csv_response
from accounts.pages import render_page

from . import selectors


@require_GET
@permission_required("orders.view_audit_log", raise_exception=True)
def audit_log(request):
    """Every event of the company, newest first; filters; keyset pages; streaming CSV."""
    form = selectors.AuditFilterForm(request.GET)
    valid = form.is_valid()
    if valid and request.GET.get("format") == "csv":
        return csv_response(
            "event-log.csv",
            selectors.AUDIT_CSV_HEADER,
            selectors.audit_csv_rows(request.user.company_id, form.cleaned_data),
        )
    context = {"form": form, "page": None, "check": selectors.last_integrity_check()}
    if valid:
        context["page"] = selectors.audit_page(request.user.company_id, form.cleaned_data)
        context["query"] = _query_without(request, "before")
    return render_page(
        request,
        "events/audit_log.html",
        "events/partials/audit_table.html",
        context,
        status=200 if valid else 400,
    )


def _query_without(request, name: str) -> str:
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()
