from django.contrib.auth.decorators import permission_required
from django.views.decorators.http import require_GET

from common.pages import render_page

from . import selectors
from .forms import PeriodForm
from .queues import role_queues, second_approvals, waiting_for_second_approval


@require_GET
@permission_required("orders.view_order", raise_exception=True)
def dashboard(request):
    """The user's queues and the cards per state (now); the chart, counts and cycle times over
    the period in the URL (`PeriodForm`; an invalid one is a 400 showing the default period);
    stuck orders. Refreshes itself (htmx). A company without orders also sees its first steps,
    by role. (Users without a company never get here: `accounts.company_required`.)"""
    form = PeriodForm.for_query(request.GET)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    waiting_second = waiting_for_second_approval(request.user.company_id)
    context = selectors.dashboard(request.user, data=data) | {
        "queues": role_queues(request.user, waiting_second=waiting_second),
        "second_approvals": second_approvals(request.user, waiting=waiting_second),
        "period_form": form,
    }
    context["first_run"] = not any(card.count for card in context["cards"])
    return render_page(
        request,
        "projections/dashboard.html",
        "projections/partials/dashboard_body.html",
        context,
        status=200 if valid else 400,
    )
