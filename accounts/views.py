"""Health check. Login/logout are Django's own auth views (see config/urls.py)."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .health import database_write_problem


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """GET or HEAD. 200 `{"status": "ok", "database": "ok"}` when the database takes a write;
    503 `{"status": "error", "database": "<reason>"}` when it cannot (accounts/health.py).

    Exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT), so a local monitor can use plain
    HTTP on 127.0.0.1.
    """
    problem = database_write_problem()
    if problem:
        return JsonResponse({"status": "error", "database": problem}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
