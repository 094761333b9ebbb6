"""People without a company (a platform superuser, as the deploy guide creates one) get a page
that says what to do instead of empty company pages and failing saves (issue #14 item 6)."""

from __future__ import annotations

from django.shortcuts import render

# Apps whose every page shows or changes one company's data.
COMPANY_APPS = ("orders", "events", "projections")


class CompanyRequiredMiddleware:
    """A logged-in user without a company who opens a company page gets 403 and
    `accounts/no_company.html` (go to the admin, or ask for a company). Place after
    AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.company_id is not None:
            return None
        if view_func.__module__.split(".")[0] not in COMPANY_APPS:
            return None
        return render(request, "accounts/no_company.html", status=403)
