from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors


@require_GET
@permission_required("orders.view_ops_desk", raise_exception=True)
def desk(request):
    """Read only (the commands stay commands): the platform's health for the platform operator
    (a superuser); for a company's Ops user, that company's figures only."""
    if request.user.is_superuser:
        return render(request, "ops/desk.html", {"desk": selectors.ops_desk()})
    company_desk = selectors.company_desk(request.user.company_id)
    return render(request, "ops/company_desk.html", {"desk": company_desk})
