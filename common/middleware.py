"""One structured log line per request, tagged with a request id that events also record."""

import logging
import time

from django.utils.encoding import escape_uri_path

from .request_context import new_request_id, reset_request_id, set_request_id

logger = logging.getLogger("ledgerline.request")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = new_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        token = set_request_id(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            logger.info(
                "request method=%s path=%s status=%s duration_ms=%.1f user=%s htmx=%s",
                request.method,
                # The decoded path may hold a newline or " status=200" (from %0A, %20): log it
                # percent-encoded, so no URL can forge a log line or a field. (Django escapes
                # its own "Not Found: <path>" lines for the same reason, CVE-2025-48432.)
                escape_uri_path(request.path),
                response.status_code,
                (time.perf_counter() - started) * 1000,
                user.get_username() if user is not None and user.is_authenticated else "-",
                "1" if request.headers.get("HX-Request") else "0",
            )
            return response
        finally:
            reset_request_id(token)
