from django.contrib.auth.decorators import permission_required
from django.views.decorators.http import require_GET

from common.pages import render_page

from . import selectors
from .forms import PeriodForm
from .queues import role_queues, second_approval_counts, second_approvals


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
    second = second_approval_counts(request.user)
    totals = selectors.state_totals(request.user.company_id)
    context = selectors.dashboard(request.user, data=data, totals=totals) | {
        "queues": role_queues(request.user, second=second, totals=totals),
        "second_approvals": second_approvals(request.user, second=second),
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
