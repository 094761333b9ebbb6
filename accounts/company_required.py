"""People without a company (a platform superuser, as the deploy guide creates one) get a page
that says what to do instead of empty company pages and failing saves (issue #14 item 6)."""

from __future__ import annotations

from django.shortcuts import redirect, render

# Apps whose every page shows or changes one company's data.
COMPANY_APPS = ("orders", "audit", "dashboard")


class CompanyRequiredMiddleware:
    """A logged-in user without a company who opens a company page gets 403 and
    `accounts/no_company.html` (what to do: ask for a company, or, for a platform superuser, the
    companies list and `create_company`), except that a platform superuser's home page (the
    dashboard) is the list of companies (issue #18). Place after AuthenticationMiddleware."""

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
        if user.is_superuser and request.resolver_match.view_name == "dashboard":
            return redirect("companies")
        return render(request, "accounts/no_company.html", status=403)
