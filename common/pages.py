"""Page plumbing shared by every app: full page or htmx partial.

Access is Django's own: `LoginRequiredMiddleware` sends anonymous users to the login page and
views ask for a permission with `django.contrib.auth.decorators.permission_required(...,
raise_exception=True)` (403 for a logged-in user without it, never a login loop).
"""

from __future__ import annotations

from django.shortcuts import render


def wants_partial(request) -> bool:
    """An htmx request gets the partial; a history restore (Back button) needs the full page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def render_page(request, template: str, partial: str, context: dict, status: int = 200):
    """Render `partial` for htmx requests and the full `template` otherwise (same URL)."""
    chosen = partial if wants_partial(request) else template
    return render(request, chosen, context, status=status)
