"""Page plumbing shared by every app: full page or htmx partial, role gates, error pages."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from .models import Role

WRITER_ROLES = (Role.STAFF, Role.MANAGER)


def wants_partial(request) -> bool:
    """An htmx request gets the partial; a history restore (Back button) needs the full page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def render_page(request, template: str, partial: str, context: dict, status: int = 200):
    """Render `partial` for htmx requests and the full `template` otherwise (same URL)."""
    chosen = partial if wants_partial(request) else template
    return render(request, chosen, context, status=status)


def writers_only(view):
    """Only Staff and Managers change anything: any other role's POST is 403, before all else."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.has_role(*WRITER_ROLES):
            raise PermissionDenied("Your role is read-only.")
        return view(request, *args, **kwargs)

    return wrapper


def permission_required(perm: str):
    """Like Django's, but always 403 (never a login loop) for a logged-in user without it."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perm(perm):
                raise PermissionDenied("Your role may not open this page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
