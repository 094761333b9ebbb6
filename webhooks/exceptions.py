"""Named errors of the webhook commands; messages are for the person who acted. They are
access errors (`accounts.exceptions`): the same table maps them to 404/403/422."""

from accounts.exceptions import AccessNotFound, InvalidAccessChange


class EndpointNotFound(AccessNotFound):
    def __init__(self):
        super().__init__("No such webhook endpoint.")


class UnsafeUrl(Exception):
    """The URL may not receive webhooks (webhooks/safety.py); raised as InvalidEndpoint."""


class InvalidEndpoint(InvalidAccessChange):
    """Invalid endpoint data (HTTP 422); `errors` maps a field to messages."""
