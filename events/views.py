import csv

from django.http import StreamingHttpResponse
from django.views.decorators.http import require_GET

from accounts.pages import permission_required, render_page
from orders.history import Echo

from . import selectors
from .forms import AuditFilterForm


@require_GET
@permission_required("orders.view_audit_log")
def audit_log(request):
    """Every event of the company, newest first; filters; keyset pages; streaming CSV."""
    form = AuditFilterForm(request.GET)
    valid = form.is_valid()
    if valid and request.GET.get("format") == "csv":
        return _csv(selectors.audit_csv_rows(request.user.company_id, form.cleaned_data))
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


def _csv(rows):
    writer = csv.writer(Echo())
    response = StreamingHttpResponse(
        (writer.writerow(r) for r in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="event-log.csv"'
    return response
