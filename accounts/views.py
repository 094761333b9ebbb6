"""Health check, the team page and the companies page. Login/logout and setting a password are
Django's own auth views (see config/urls.py and accounts/urls.py)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from common import background
from common.health import database_write_problem

from . import commands, selectors
from .exceptions import AccessError, TeamNotPermitted, UserNotFound
from .forms import AddUserForm, RoleForm, apply_errors

ERROR_STATUS = ((TeamNotPermitted, 403), (UserNotFound, 404), (AccessError, 422))


def status_for(error: AccessError) -> int:
    return next(code for cls, code in ERROR_STATUS if isinstance(error, cls))


@csrf_exempt  # it changes nothing; a POST is answered 405 by require_safe, not 403
@login_not_required
@never_cache
@require_safe
def healthz(request):
    """GET or HEAD (anything else: 405). 200 `{"status": "ok", "database": "ok"}` when the
    database takes a write; 503 `{"status": "error", "database": "<reason>"}`
    when it cannot (common/health.py).

    Exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT), so a local monitor can use plain
    HTTP on 127.0.0.1.
    """
    problem = database_write_problem()
    if problem:
        return JsonResponse({"status": "error", "database": problem}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request page, but the address is looked up and the mail sent off the
    request path (`commands.send_reset_links` on `common.background`, after commit): the
    answer and the work done before it are the same whether or not the address is known."""

    def form_valid(self, form):
        background.submit_on_commit(
            commands.send_reset_links,
            email=form.cleaned_data["email"],
            site_url=_site_url(self.request),
        )
        return HttpResponseRedirect(self.get_success_url())


# --- the team page --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required("accounts.manage_team", raise_exception=True)
def team(request):
    """The company's users, and (POST) add one: it gets a set-password link."""
    form = AddUserForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                link = commands.add_user(
                    actor=request.user, site_url=_site_url(request), **form.cleaned_data
                )
            except AccessError as error:
                status = _form_error(form, error)
            else:
                _link_message(request, link, f"{link.user.username} was added.")
                return redirect("team")
        else:
            status = 400
    return _team_page(request, form, status)


@require_POST
@permission_required("accounts.manage_team", raise_exception=True)
def change_role(request, user_id):
    form = RoleForm(request.POST)
    # An invalid role is the command's to refuse, after it has looked the user up (404 first).
    role = form.cleaned_data["role"] if form.is_valid() else ""
    return _run(request, commands.change_role, user_id, role=role)


@require_POST
@permission_required("accounts.manage_team", raise_exception=True)
def deactivate(request, user_id):
    return _run(request, commands.deactivate_user, user_id)


@require_POST
@permission_required("accounts.manage_team", raise_exception=True)
def reactivate(request, user_id):
    return _run(request, commands.reactivate_user, user_id)


@require_POST
@permission_required("accounts.manage_team", raise_exception=True)
def password_link(request, user_id):
    try:
        link = commands.issue_password_link(
            actor=request.user, user_id=user_id, site_url=_site_url(request)
        )
    except AccessError as error:
        return _failed(request, error)
    _link_message(request, link, f"A new set-password link for {link.user.username}.")
    return redirect("team")


_DONE = {
    "change_role": "{user} is now {role}.",
    "deactivate_user": "{user} was deactivated and logged out.",
    "reactivate_user": "{user} can log in again.",
}


def _run(request, command, user_id, **data):
    try:
        user = command(actor=request.user, user_id=user_id, **data)
    except AccessError as error:
        return _failed(request, error)
    messages.success(request, _DONE[command.__name__].format(user=user.username, role=user.role))
    return redirect("team")


def _failed(request, error: AccessError):
    status = status_for(error)
    if status == 404:
        return render(request, "404.html", {"exception": str(error)}, status=404)
    if status == 403:
        raise PermissionDenied(str(error))
    return _team_page(request, AddUserForm(), status, error=str(error))


def _form_error(form, error: AccessError) -> int:
    apply_errors(form, getattr(error, "errors", {"": [str(error)]}))
    return status_for(error)


def _team_page(request, form, status: int, error: str = ""):
    context = {
        "members": [
            (member, RoleForm(initial={"role": member.role}, auto_id=f"id_{member.pk}_%s"))
            for member in selectors.team_members(request.user.company_id)
        ],
        "form": form,
        "error": error,
        "email_configured": commands.email_configured(),
    }
    return render(request, "accounts/team.html", context, status=status)


def _link_message(request, link, done: str) -> None:
    if link.emailed_to:
        messages.success(
            request, f"{done} The set-password link was e-mailed to {link.emailed_to}."
        )
    else:
        messages.success(
            request,
            f"{done} E-mail is not configured: give them this one-time link to set a "
            f"password: {link.url}",
        )


def _site_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# --- the companies page (platform superusers) -----------------------------------------------


@require_GET
def companies(request):
    """Every company with its users, orders and last activity: the platform superuser's home."""
    if not request.user.is_superuser:
        raise PermissionDenied("Only a platform superuser sees every company.")
    return render(request, "accounts/companies.html", {"companies": selectors.companies_overview()})
