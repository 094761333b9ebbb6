"""Login throttling on top of django-axes: an address-wide limit, and safe log lines.

django-axes locks a username+address pair after AXES_FAILURE_LIMIT failures. Its
AXES_LOCKOUT_PARAMETERS can add the address alone, but with the same limit for both (axes
counts the largest of the combinations against one AXES_FAILURE_LIMIT), which would lock a
whole office after five typos. So this handler adds a second, larger limit:
LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the usernames, within the same
cool-off (AXES_COOLOFF_TIME), lock that address. It stops password spraying (one password tried
on many usernames), which the per-username lock never sees. 0 turns it off.

Axes' own log lines name the client with the User-Agent header verbatim; `client_description`
(AXES_CLIENT_STR_CALLABLE) names it by what the lock uses instead, each value JSON-quoted so no
header or username can forge a log field or line.
"""

from __future__ import annotations

import json
import logging

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import cleanse_parameters, get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.utils.encoding import escape_uri_path

logger = logging.getLogger("axes.address")


def address_failures(request) -> int:
    """Failed logins from the request's address (any username) within the cool-off."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def address_locked(request) -> bool:
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    return bool(limit) and address_failures(request) >= limit


class AddressWideLockHandler(AxesDatabaseHandler):
    """Axes' database handler, plus the address-wide limit (AXES_HANDLER)."""

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or address_locked(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if address_locked(request):
            # As axes does for its own lock: the middleware answers with the lockout page.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            logger.warning(
                "AXES: Locking out address %s after %d failed logins with any username.",
                json.dumps(request.axes_ip_address),
                settings.LOGIN_ADDRESS_FAILURE_LIMIT,
            )
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )


def client_description(username, ip_address, user_agent, path_info, request) -> str:
    """How axes names a client in its log lines: username and address JSON-quoted (or masked,
    as axes masks AXES_SENSITIVE_PARAMETERS), the path percent-encoded, and no User-Agent (a
    request header, free text)."""
    if isinstance(path_info, tuple | list):
        path_info = path_info[0]
    shown = cleanse_parameters({"username": username, "ip_address": ip_address})
    shown["path_info"] = escape_uri_path(path_info or "")
    return "{" + ", ".join(f"{key}: {json.dumps(value)}" for key, value in shown.items()) + "}"
