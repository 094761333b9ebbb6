"""The id of the request being served, so logs and event metadata can name it."""

import contextvars
import re
import uuid

# Outside a request (commands, imports, the shell) the id is "-": log lines keep a column, and
# event metadata has recorded it so since the first release (it is inside the hash chain).
NO_REQUEST_ID = "-"
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default=NO_REQUEST_ID
)
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def new_request_id(incoming: str | None = None) -> str:
    """Accept a sane id from the proxy (nginx's $request_id), otherwise make one."""
    if incoming and _VALID_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def set_request_id(value: str) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


def current_request_id() -> str:
    return _request_id.get()


def recorded_request_id(metadata: dict) -> str:
    """The request id an event's metadata names, or "" when the event served no request (its
    `correlation_id` is missing, None or the "-" placeholder): exports write an empty cell, not
    a "-" that the formula guard would turn into "'-"."""
    value = metadata.get("correlation_id") or ""
    return "" if value == NO_REQUEST_ID else value
