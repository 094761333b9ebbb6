"""The 400 handler: a request Django refuses before any view (a body over
DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields or files, a bad Host) gets a clear answer: on the
API (paths under `API_PATH_PREFIX`) `application/problem+json` (RFC 9457) like every other API
error, elsewhere the 400 page saying what was wrong. A body that is too large is 413 Content Too
Large (RFC 9110 §15.5.14), not a bare 400."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext

from .control_characters import ControlCharacterInput

API_PATH_PREFIX = "/api/"
PROBLEM_JSON = "application/problem+json"
_TITLES = {
    400: "Bad Request",
    413: "Content Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def is_api(request) -> bool:
    """Whether the request is one of the API's (it answers problem+json, never a page)."""
    return request.path.startswith(API_PATH_PREFIX)


def problem(status: int, detail: str) -> JsonResponse:
    """A problem+json answer outside DRF (the API's own errors go through `api.problems`)."""
    body = {"type": "about:blank", "title": _TITLES[status], "status": status, "detail": detail}
    return JsonResponse(body, status=status, content_type=PROBLEM_JSON)


def bad_request(request, exception=None) -> HttpResponse:
    """`handler400` (Django calls it for SuspiciousOperation and BadRequest)."""
    status, detail = 400, gettext("The request could not be understood.")
    if isinstance(exception, RequestDataTooBig):
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20  # Django's default: 2.5 MiB
        status = 413
        detail = gettext(
            "The request is too large: at most %(size)s MB can be sent at once. "
            "Shorten the text or send fewer lines."
        ) % {"size": f"{megabytes:g}"}
    elif isinstance(exception, ControlCharacterInput):
        detail = str(exception)
    elif isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        detail = gettext("The request has too many fields: send fewer lines at once.")
    if is_api(request):
        return problem(status, detail)
    # As Django's own handler: no request context (a middleware may not have run).
    page = loader.get_template("400.html").render({"detail": detail})
    return HttpResponse(page, status=status)
