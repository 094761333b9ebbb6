"""Health check, the team page and the companies page. Login/logout and setting a password are
Django's own auth views (see config/urls.py and accounts/urls.py)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from common.exceptions import status_for
from common.form_errors import apply_errors
from common.health import database_write_problem

from . import commands, selectors
from .exceptions import AccessError
from .forms import AddUserForm, ApiKeyForm, CompanyTimeZoneForm, RoleForm
from .models import Role, role_label, roles_label
from .tokens import password_link_tokens


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
    """Django's reset request page, but the address is looked up and the mail sent by the
    worker (`commands.request_password_reset`): the answer and the work done before it are the
    same whether or not the address is known."""

    def form_valid(self, form):
        with transaction.atomic():
            commands.request_password_reset(email=form.cleaned_data["email"])
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
                _link_message(
                    request,
                    link,
                    gettext("%(username)s was added.") % {"username": link.user.username},
                )
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
    if role and role != Role.MANAGER.value:
        what = gettext("change the role to %(role)s") % {"role": role_label(role)}
        asked = _ask_first(request, user_id, what, {"role": role})
        if asked is not None:
            return asked
    return _run(request, commands.change_role, user_id, role=role)


@require_POST
@permission_required("accounts.manage_team", raise_exception=True)
def deactivate(request, user_id):
    asked = _ask_first(request, user_id, gettext("deactivate"), {}, leaving=True)
    if asked is not None:
        return asked
    return _run(request, commands.deactivate_user, user_id)


def _ask_first(request, user_id, what: str, data: dict, *, leaving: bool = False):
    """The confirmation page before a Manager demotes or deactivates (`leaving`) themselves, or
    before a change leaves fewer active Managers than the company's controls need; None when
    there is nothing to ask (or it was confirmed: `confirmed=yes`). `what`: the change, in the
    user's language. The command decides as always."""
    if request.POST.get("confirmed") == "yes":
        return None
    member = selectors.team_members(request.user.company_id).filter(pk=user_id).first()
    if member is None or not member.groups.filter(name=Role.MANAGER.value).exists():
        return None
    left = selectors.active_managers_after(request.user.company_id, member, leaving=True)
    if member.is_active and left == 0:
        return None  # the command refuses: a company keeps at least one active Manager
    warnings = []
    if member.pk == request.user.pk:
        warnings.append(
            gettext(
                "This is your own account: you will lose the Manager's rights and be logged out."
            )
            if leaving
            else gettext("This is your own account: you will lose the Manager's rights.")
        )
    needed, why = selectors.managers_needed(request.user.company_id)
    if member.is_active and left < needed:
        warnings.append(
            ngettext(
                "Only %(count)d active Manager would remain: %(why)s",
                "Only %(count)d active Managers would remain: %(why)s",
                left,
            )
            % {"count": left, "why": why}
        )
    if not warnings:
        return None
    context = {"member": member, "what": what, "data": data, "warnings": warnings,
               "url": request.path}  # fmt: skip
    return render(request, "accounts/team_confirm.html", context)


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
    _link_message(
        request,
        link,
        gettext("A new set-password link for %(username)s.") % {"username": link.user.username},
    )
    return redirect("team")


@require_POST
@permission_required("accounts.manage_team", raise_exception=True)
def unlock(request, user_id):
    return _run(request, commands.unlock_user, user_id)


@require_POST
@permission_required("accounts.manage_team", raise_exception=True)
def revoke_invitation(request, user_id):
    return _run(request, commands.revoke_invitation, user_id)


_DONE = {
    "change_role": _("{user} is now {role}."),
    "deactivate_user": _("{user} was deactivated and logged out."),
    "reactivate_user": _("{user} can log in again."),
    "unlock_user": _("{user} is unlocked and can try to log in again."),
    "revoke_invitation": _("The invitation of {user} was revoked; the account is deactivated."),
}


def _run(request, command, user_id, **data):
    try:
        user = command(actor=request.user, user_id=user_id, **data)
    except AccessError as error:
        return _failed(request, error)
    done = str(_DONE[command.__name__])
    messages.success(request, done.format(user=user.username, role=roles_label(user.role)))
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
    company_id = request.user.company_id
    invitations = selectors.pending_invitations(company_id)
    links = _shown_links(request, [invitation.user for invitation in invitations])
    context = {
        "members": [
            (member, RoleForm(current=member.role, auto_id=f"id_{member.pk}_%s"))
            for member in selectors.team_members(company_id)
        ],
        "locked": selectors.locked_out(company_id),
        "invitations": [(invitation, links.get(invitation.user.pk)) for invitation in invitations],
        "form": form,
        "error": error,
        "email_configured": commands.email_configured(),
    }
    return render(request, "accounts/team.html", context, status=status)


SHOWN_LINKS = "team_password_links"  # session key: user id -> the link shown to this Manager


def _shown_links(request, invited) -> dict:
    """The set-password links this Manager was shown (not e-mailed) that still work, by user id:
    the team page keeps them beside the invitation until used, replaced or expired (the session
    is server-side: never in a cookie). Links that no longer work are forgotten."""
    kept = request.session.get(SHOWN_LINKS, {})
    links = {}
    for user in invited:
        url = kept.get(str(user.pk))
        if url and password_link_tokens.check_token(user, url.rstrip("/").rsplit("/", 1)[-1]):
            links[user.pk] = url
    if len(links) != len(kept):
        request.session[SHOWN_LINKS] = {str(pk): url for pk, url in links.items()}
    return links


def _link_message(request, link, done: str) -> None:
    """Say what was done; a link that was not e-mailed also stays on the team page, beside the
    invitation (`_shown_links`), so dismissing the message does not lose it."""
    if link.emailed_to:
        messages.success(
            request,
            gettext("%(done)s The set-password link was e-mailed to %(address)s.")
            % {"done": done, "address": link.emailed_to},
        )
    else:
        kept = request.session.get(SHOWN_LINKS, {})
        request.session[SHOWN_LINKS] = {**kept, str(link.user.pk): link.url}
        messages.success(
            request,
            gettext(
                "%(done)s E-mail is not configured: give them this one-time link to set a "
                "password: %(url)s"
            )
            % {"done": done, "url": link.url},
        )


def _site_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# --- the API keys page (next to the team) ---------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required("accounts.manage_team", raise_exception=True)
def api_keys(request):
    """The company's API keys, and (POST) create one: the new key is shown on this answer only
    (never stored, never put in a message that would travel in a cookie)."""
    form = ApiKeyForm(request.POST or None)
    status, issued = 200, None
    if request.method == "POST":
        if form.is_valid():
            try:
                issued = commands.create_api_key(actor=request.user, **form.cleaned_data)
            except AccessError as error:
                status = _form_error(form, error)
            else:
                form = ApiKeyForm()
        else:
            status = 400
    return _api_keys_page(request, form, status, issued=issued)


@require_POST
@permission_required("accounts.manage_team", raise_exception=True)
def revoke_api_key(request, key_id):
    try:
        api_key = commands.revoke_api_key(actor=request.user, key_id=key_id)
    except AccessError as error:
        status = status_for(error)
        if status == 404:
            return render(request, "404.html", {"exception": str(error)}, status=404)
        return _api_keys_page(request, ApiKeyForm(), status, error=str(error))
    messages.success(
        request,
        gettext("The key %(name)r was revoked: it no longer works.") % {"name": api_key.name},
    )
    return redirect("api_keys")


def _api_keys_page(request, form, status: int, *, issued=None, error: str = ""):
    context = {
        "keys": selectors.api_keys(request.user.company_id),
        "form": form,
        "issued": issued,
        "error": error,
    }
    response = render(request, "accounts/api_keys.html", context, status=status)
    if issued is not None:
        response["Cache-Control"] = "no-store"  # the key is on this page only
    return response


# --- the companies page (platform superusers) -----------------------------------------------


@require_GET
def companies(request):
    """Every company with its users, orders and last activity: the platform superuser's home."""
    if not request.user.is_superuser:
        raise PermissionDenied(_("Only a platform superuser sees every company."))
    return render(request, "accounts/companies.html", {"companies": selectors.companies_overview()})


@require_POST
@permission_required("accounts.manage_team", raise_exception=True)
def company_time_zone(request):
    """Set the company's time zone (from the company controls page); back to that page."""
    form = CompanyTimeZoneForm(request.POST)
    zone = form.cleaned_data["time_zone"] if form.is_valid() else request.POST.get("time_zone", "")
    try:
        company = commands.set_company_time_zone(actor=request.user, time_zone=zone)
    except AccessError as error:
        messages.error(request, str(error))
        return redirect("orders:controls")
    messages.success(
        request, gettext("The company's time zone is %(zone)s.") % {"zone": company.time_zone}
    )
    return redirect("orders:controls")
