"""Errors as `application/problem+json` (RFC 9457), with the words the pages use.

Domain errors carry the message for the person (orders.exceptions, accounts.exceptions); one
table maps them to a status, as on the pages, except that a stale version is 412 here: over
HTTP the version travels in `If-Match` (RFC 9110 §13.1.1), where the pages' forms answer 409.
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from accounts.exceptions import AccessError, AccessNotFound, TeamNotPermitted
from orders.exceptions import (
    ActionNotPermitted,
    ConcurrencyError,
    OrderAlreadyPlaced,
    OrderError,
    OrderNotFound,
    UnknownTransition,
)

PROBLEM_JSON = "application/problem+json"

ERROR_STATUS = (
    (ConcurrencyError, 412),
    (OrderAlreadyPlaced, 409),
    (ActionNotPermitted, 403),
    (TeamNotPermitted, 403),
    (OrderNotFound, 404),
    (UnknownTransition, 404),
    (AccessNotFound, 404),
    (OrderError, 422),
    (AccessError, 422),
)
DOMAIN_ERRORS = (OrderError, AccessError, ConcurrencyError)


def status_for(error: Exception) -> int:
    return next(code for cls, code in ERROR_STATUS if isinstance(error, cls))


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "Send If-Match with the order's version (its ETag) to change it."
    default_code = "precondition_required"


class Problem(exceptions.APIException):
    """An answer with `status`, `detail` and extra members (RFC 9457 §3.2 extensions)."""

    def __init__(self, status_code: int, detail: str, **members):
        self.status_code = status_code
        self.members = members
        super().__init__(detail)


def problem_response(status_code: int, detail: str, headers=None, **members) -> Response:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        **members,
    }
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_JSON)


def handle_exception(exc, context):
    """DRF's EXCEPTION_HANDLER: domain errors by the table, DRF's own errors (authentication,
    permission, throttling with its Retry-After, parsing, validation) with DRF's status and
    headers; everything as problem+json. Anything else is a bug: None lets Django answer 500."""
    if isinstance(exc, DOMAIN_ERRORS):
        members = {"errors": exc.errors} if hasattr(exc, "errors") else {}
        return problem_response(status_for(exc), str(exc), **members)
    if isinstance(exc, Http404):
        return problem_response(404, _not_found(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None
    members = getattr(exc, "members", {})
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        detail = "The request is not valid: see errors."
        members = {"errors": data if isinstance(data, dict) else {"": data}}
    elif isinstance(data, dict) and "detail" in data:
        detail = str(data["detail"])
    else:
        detail = str(data)
    headers = {
        name: value
        for name, value in response.items()
        if name in ("WWW-Authenticate", "Retry-After", "Allow")
    }
    return problem_response(response.status_code, detail, headers=headers, **members)


def _not_found(exc: Http404) -> str:
    text = str(exc)
    # get_object_or_404's own wording names the model ("No OrderSummary matches…"): the pages
    # say "No such order.", and so does the API.
    return "No such order." if not text or "matches the given query" in text else text
