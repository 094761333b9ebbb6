from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from accounts.pages import render_page

from . import selectors


@require_GET
@permission_required("orders.view_order", raise_exception=True)
def dashboard(request):
    """Cards per state, the 30-day chart, cycle time, stuck orders; refreshes itself (htmx).

    A company without orders also sees its first steps, by role; a platform superuser without a
    company (who has every permission but no orders) is sent to the list of companies.
    """
    if request.user.company_id is None:
        return redirect("companies")
    context = selectors.dashboard(request.user)
    context["first_run"] = not any(card.count for card in context["cards"])
    return render_page(
        request,
        "projections/dashboard.html",
        "projections/partials/dashboard_body.html",
        context,
    )
