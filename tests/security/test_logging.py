"""Logs an operator can trust: one structured line per request, one line per failed command.

Lines are formatted exactly as settings.LOGGING formats them (the 'line' formatter and the
request id filter), so the tests read what production writes, request id included.
"""

from __future__ import annotations

import logging
import re
import uuid
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Role
from common.logging import RequestIdFilter
from events.models import Event
from orders import commands
from orders.exceptions import OrderError
from tests import factories

from .conftest import order_in_state, order_post_data

REQUEST_LINE = re.compile(
    r"INFO ledgerline\.request request_id=(?P<request_id>\S+) "
    r"request method=(?P<method>[A-Z]+) path=(?P<path>\S+) status=(?P<status>\d{3}) "
    r"duration_ms=(?P<duration_ms>\d+\.\d) user=(?P<user>\S+) htmx=(?P<htmx>[01])"
)
FAILURE_LINE = re.compile(
    r"WARNING ledgerline\.commands request_id=(?P<request_id>\S+) "
    r"command_failed command=(?P<command>\w+) order=(?P<order>\S+) user=(?P<user>\S+) "
    r"error=(?P<error>\w+) reason=(?P<reason>'.*')"
)


class LineCollector(logging.Handler):
    """Formats each record the way settings.LOGGING's console handler does."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["line"]["format"]))
        self.addFilter(RequestIdFilter())
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines():
    """`log_lines(name)`: the formatted lines logger `name` writes during the test."""
    attached = []

    def collect(name: str) -> list[str]:
        logger, handler = logging.getLogger(name), LineCollector()
        attached.append((logger, handler, logger.level))
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        return handler.lines

    yield collect
    for logger, handler, level in attached:
        logger.removeHandler(handler)
        logger.setLevel(level)


def request_fields(line: str) -> dict[str, str]:
    match = REQUEST_LINE.search(line)
    assert match and line.endswith(match.group(0)), f"not one structured request line: {line!r}"
    return match.groupdict()


@pytest.fixture
def users(acme):
    return {role: factories.user(role, acme) for role in (Role.STAFF, Role.MANAGER)}


@pytest.fixture
def draft(users):
    return order_in_state("draft", users[Role.STAFF], users[Role.MANAGER])


# name -> (user or None, method, path, data, extra headers, expected status)
REQUESTS = {
    "page": (Role.STAFF, "get", "/", {}, {}, 200),
    "htmx partial": (Role.STAFF, "get", "/orders/", {}, {"HTTP_HX_REQUEST": "true"}, 200),
    "form error": (Role.STAFF, "get", "/orders/", {"total_min": "abc"}, {}, 400),
    "forbidden": (Role.STAFF, "get", "/audit/", {}, {}, 403),
    "not found": (Role.STAFF, "get", f"/orders/{uuid.UUID(int=0)}/", {}, {}, 404),
    "wrong method": (Role.STAFF, "delete", "/orders/", {}, {}, 405),
    "anonymous, sent to log in": (None, "get", "/orders/", {}, {}, 302),
    "failed login": (None, "post", "/accounts/login/", {"username": "x", "password": "y"}, {}, 200),
    "created": (Role.STAFF, "post", "/orders/new/", order_post_data(), {}, 302),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", REQUESTS)
def test_each_request_writes_exactly_one_structured_line(users, logged_in, log_lines, name):
    role, method, path, data, headers, status = REQUESTS[name]
    client = logged_in(users[role]) if role else Client()
    lines = log_lines("ledgerline.request")

    response = getattr(client, method)(path, data, **headers)

    assert response.status_code == status
    (line,) = lines
    fields = request_fields(line)
    assert fields["method"] == method.upper()
    assert fields["path"] == path
    assert fields["status"] == str(status)
    assert float(fields["duration_ms"]) >= 0
    assert fields["request_id"] == response["X-Request-ID"]
    assert fields["user"] == (users[role].username if role else "-")
    assert fields["htmx"] == ("1" if headers else "0")


@pytest.mark.django_db
def test_a_workflow_action_is_logged_once_under_the_id_its_event_records(
    users, draft, logged_in, log_lines
):
    lines = log_lines("ledgerline.request")

    response = logged_in(users[Role.STAFF]).post(
        f"/orders/{draft.id}/transitions/submit/", {"version": draft.version}
    )

    (line,) = lines
    fields = request_fields(line)
    assert (fields["status"], fields["path"]) == ("303", f"/orders/{draft.id}/transitions/submit/")
    event = Event.objects.get(stream_id=draft.id, version=draft.version + 1)
    assert fields["request_id"] == response["X-Request-ID"] == event.metadata["correlation_id"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/orders/%0Arequest%20method=GET%20path=/audit/%20status=200",
        "/orders/%0D%0AINFO%20ledgerline.request%20forged",
        "/orders/x%20status=200%20duration_ms=1.0%20user=acme.manager",
    ],
    ids=["newline", "carriage return", "fake fields"],
)
def test_a_url_cannot_forge_a_log_line_or_a_field(users, logged_in, log_lines, path):
    lines = log_lines("ledgerline.request")

    response = logged_in(users[Role.STAFF]).get(path)

    (line,) = lines
    assert "\n" not in line and "\r" not in line
    fields = request_fields(line)
    assert (fields["status"], fields["user"]) == (str(response.status_code), "acme.staff")
    assert unquote(fields["path"]) == unquote(path)  # percent-encoded, but nothing lost


@pytest.mark.django_db
def test_a_login_attempt_never_writes_the_password_to_the_log(log_lines, caplog):
    lines = log_lines("ledgerline.request")

    with caplog.at_level(logging.DEBUG):
        Client().post("/accounts/login/", {"username": "acme.staff", "password": "S3cret-Guess-77"})

    assert lines
    assert not any("S3cret-Guess-77" in line for line in lines)
    assert not any("S3cret-Guess-77" in record.getMessage() for record in caplog.records)


# --- failed commands ------------------------------------------------------------------------


# case: (order state, acting role, url, version offset, command, error, part of the reason)
FAILURES = {
    "a role without the right": (
        "submitted", Role.STAFF, "transitions/approve/", 0,
        "approve", "ActionNotPermitted", "A Manager must approve it.",
    ),
    "a stale version": (
        "draft", Role.MANAGER, "transitions/submit/", -1,
        "submit", "ConcurrencyError", "changed since your page showed it",
    ),
    "a state that does not allow it": (
        "draft", Role.MANAGER, "transitions/approve/", 0,
        "approve", "TransitionNotAllowed", "is a draft: it cannot be approved now.",
    ),
    "an edit of a submitted order": (
        "submitted", Role.MANAGER, "edit/", 0,
        "change", "TransitionNotAllowed", "is submitted: it cannot be changed now.",
    ),
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("case", FAILURES)
def test_a_failed_command_over_http_logs_one_line_with_its_reason(
    users, logged_in, log_lines, case
):
    state, role, url, offset, command, error, reason = FAILURES[case]
    order = order_in_state(state, users[Role.STAFF], users[Role.MANAGER])
    version = order.version + offset
    data = order_post_data(version=version) if url == "edit/" else {"version": version}
    failures = log_lines("ledgerline.commands")

    response = logged_in(users[role]).post(f"/orders/{order.id}/{url}", data)

    assert response.status_code in (403, 409, 422)
    (line,) = failures
    match = FAILURE_LINE.search(line)
    assert match, line
    assert (match["command"], match["error"]) == (command, error)
    assert (match["order"], match["user"]) == (str(order.id), users[role].username)
    assert reason in match["reason"]
    assert match["request_id"] == response["X-Request-ID"]  # the line names its request


@pytest.mark.django_db
def test_a_command_called_directly_logs_no_refusal_its_caller_does(acme, globex, users, caplog):
    """A refusal is logged where it becomes a status (a page, the bulk outcome), once: the
    commands raise and log nothing, so a caller that reports refusals its own way (the
    importer's rejects file) need not silence them."""
    foreign = order_in_state(
        "submitted", factories.user(Role.STAFF, globex), factories.user(Role.MANAGER, globex)
    )
    auditor = factories.user(Role.AUDITOR, acme)

    with caplog.at_level(logging.INFO, logger="ledgerline.commands"):
        with pytest.raises(OrderError):
            commands.approve(foreign.id, actor=users[Role.MANAGER], expected_version=2)
        with pytest.raises(OrderError):
            factories.place(auditor)

    assert [r for r in caplog.records if r.name == "ledgerline.commands"] == []


@pytest.mark.django_db
def test_each_refused_order_of_a_bulk_action_logs_one_line(users, logged_in, log_lines):
    fresh = order_in_state("submitted", users[Role.STAFF], users[Role.MANAGER])
    stale = order_in_state("submitted", users[Role.STAFF], users[Role.MANAGER])
    failures = log_lines("ledgerline.commands")

    response = logged_in(users[Role.MANAGER]).post(
        "/orders/bulk/",
        {
            "action": "approve",
            "orders": [f"{fresh.id}:{fresh.version}", f"{stale.id}:{stale.version - 1}"],
            "confirmed": "yes",  # every bulk action asks first (issue #28)
        },
    )

    assert response.status_code == 200
    (line,) = failures
    match = FAILURE_LINE.search(line)
    assert match, line
    assert (match["command"], match["error"], match["order"]) == (
        "approve",
        "ConcurrencyError",
        str(stale.id),
    )


@pytest.mark.django_db
def test_successes_and_form_errors_log_no_command_failure(users, draft, logged_in, log_lines):
    failures = log_lines("ledgerline.commands")
    client = logged_in(users[Role.STAFF])

    client.post(f"/orders/{draft.id}/notes/", {"version": draft.version, "text": "Fine"})
    client.post(f"/orders/{draft.id}/notes/", {"version": "abc", "text": ""})  # form refuses

    assert failures == []
