from django.contrib.auth.decorators import permission_required
from django.views.decorators.http import require_GET

from accounts.pages import render_page

from . import selectors


@require_GET
@permission_required("orders.view_order", raise_exception=True)
def dashboard(request):
    """Cards per state, the 30-day chart, cycle time, stuck orders; refreshes itself (htmx).

    A company without orders also sees its first steps, by role. (Users without a company never
    get here: `accounts.company_required`.)
    """
    context = selectors.dashboard(request.user)
    context["first_run"] = not any(card.count for card in context["cards"])
    return render_page(
        request,
        "projections/dashboard.html",
        "projections/partials/dashboard_body.html",
        context,
    )
