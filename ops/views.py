from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors


@require_GET
@permission_required("orders.view_ops_desk", raise_exception=True)
def desk(request):
    """The system's health on one page, read only: the commands stay commands."""
    return render(request, "ops/desk.html", {"desk": selectors.ops_desk()})
