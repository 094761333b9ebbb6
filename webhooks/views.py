"""The integrations pages (Managers): webhook endpoints, each with its delivery log, "retry
now" and "replay". Thin: forms parse, selectors read, commands change."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.exceptions import (
    WEBHOOKS_NOT_PERMITTED,
    AccessError,
    AccessNotFound,
    InvalidAccessChange,
    TeamNotPermitted,
)
from common.form_errors import apply_errors

from . import commands, selectors
from .forms import EndpointForm, ReplayForm

MANAGE = "accounts.manage_team"


def managers_only(view):
    """Django's `permission_required(MANAGE, raise_exception=True)`, saying what is refused
    (the 403 page shows it): webhooks, not "the team" nor "this"."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.has_perm(MANAGE):
            raise PermissionDenied(str(WEBHOOKS_NOT_PERMITTED))
        return view(request, *args, **kwargs)

    return guarded


@require_http_methods(["GET", "POST"])
@managers_only
def integrations(request):
    """The company's endpoints, and (POST) register one: its secret is shown on this answer
    only."""
    form = EndpointForm(request.POST or None)
    status, created = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = commands.create_endpoint(actor=request.user, **form.cleaned_data)
            except AccessError as error:
                status = _form_error(form, error)
            else:
                status, form = 200, EndpointForm()
    context = {
        "endpoints": selectors.endpoints(request.user.company_id),
        "form": form,
        "created": created,
    }
    response = render(request, "webhooks/integrations.html", context, status=status)
    if created is not None:
        response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@managers_only
def endpoint_detail(request, endpoint_id):
    """One endpoint: its settings (POST: change them), status, backlog and delivery log."""
    endpoint = selectors.endpoint(request.user.company_id, endpoint_id)
    initial = {k: getattr(endpoint, k) for k in ("url", "event_types", "description")}
    form = EndpointForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                commands.change_endpoint(
                    actor=request.user, endpoint_id=endpoint_id, **form.cleaned_data
                )
            except AccessError as error:
                status = _form_error(form, error)
            else:
                messages.success(request, _("The endpoint was saved."))
                return redirect("webhooks:endpoint", endpoint_id=endpoint_id)
    return _endpoint_page(request, endpoint, form=form, status=status)


def _endpoint_page(request, endpoint, *, form=None, replay_form=None, status=200, error=""):
    context = {
        "endpoint": endpoint,
        "form": form
        or EndpointForm(
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "event_types": endpoint.event_types,
            }
        ),
        "replay_form": replay_form or ReplayForm(),
        "backlog": selectors.backlog(endpoint),
        "attempts": selectors.attempts(endpoint),
        "error": error,
    }
    return render(request, "webhooks/endpoint.html", context, status=status)


_DONE = {
    "enable_endpoint": _("The endpoint is enabled: its deliveries resume in order."),
    "disable_endpoint": _("The endpoint is disabled: its events are kept until it is enabled."),
}


@require_POST
@managers_only
def enable(request, endpoint_id):
    return _run(request, commands.enable_endpoint, endpoint_id)


@require_POST
@managers_only
def disable(request, endpoint_id):
    return _run(request, commands.disable_endpoint, endpoint_id)


@require_POST
@managers_only
def retry(request, endpoint_id):
    return _run(request, commands.retry_now, endpoint_id)


@require_POST
@managers_only
def replay(request, endpoint_id):
    endpoint = selectors.endpoint(request.user.company_id, endpoint_id)
    form = ReplayForm(request.POST)
    if not form.is_valid():
        return _endpoint_page(request, endpoint, replay_form=form, status=400)
    return _run(request, commands.replay, endpoint_id, **form.cleaned_data)


def _run(request, command, endpoint_id, **data):
    try:
        result = command(actor=request.user, endpoint_id=endpoint_id, **data)
    except AccessNotFound as error:
        raise Http404(str(error)) from error
    except TeamNotPermitted as error:
        raise PermissionDenied(str(error)) from error
    except InvalidAccessChange as error:
        endpoint = selectors.endpoint(request.user.company_id, endpoint_id)
        return _endpoint_page(request, endpoint, status=422, error=str(error))
    if command is commands.retry_now:
        messages.success(
            request,
            ngettext(
                "%(count)d delivery will be tried now.",
                "%(count)d deliveries will be tried now.",
                result,
            )
            % {"count": result},
        )
    elif command is commands.replay:
        messages.success(
            request,
            ngettext(
                "%(count)d event will be sent again, in order.",
                "%(count)d events will be sent again, in order.",
                result,
            )
            % {"count": result},
        )
    else:
        messages.success(request, _DONE[command.__name__])
    return redirect("webhooks:endpoint", endpoint_id=endpoint_id)


def _form_error(form, error: AccessError) -> int:
    apply_errors(form, getattr(error, "errors", {"": [str(error)]}))
    if isinstance(error, TeamNotPermitted):
        raise PermissionDenied(str(error))
    return 422
