"""Row-level tenancy for class-based views."""

from django.contrib.auth.mixins import LoginRequiredMixin


class CompanyRestrictedMixin(LoginRequiredMixin):
    """Limit the view's queryset to the user's company; set the company on create.

    An object of another company is simply not in the queryset, so `get_object()` raises
    Http404: a foreign id is indistinguishable from a missing one (never a 403).
    """

    company_field = "company"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(self.company_field)
            .filter(**{self.company_field: self.request.user.company})
        )

    def form_valid(self, form):
        setattr(form.instance, self.company_field, self.request.user.company)
        return super().form_valid(form)
