"""Messages reach the person after htmx requests too (issue #14 item 5).

A whole page shows Django's messages in base.html's `#messages` region. An htmx answer replaces
only part of the page, so this middleware appends the pending messages to it as an out-of-band
swap of that region (https://htmx.org/attributes/hx-swap-oob/): every action's "what happened"
reaches the page the same way, full page or htmx.
"""

from __future__ import annotations

from django.contrib import messages
from django.template.loader import render_to_string


class HtmxMessagesMiddleware:
    """Place after MessageMiddleware, so the messages it renders are marked used in time."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.headers.get("HX-Request") or not _is_swappable_html(response):
            return response
        storage = messages.get_messages(request)
        if storage.used or not len(storage):  # already shown by the template, or nothing to say
            return response
        response.content += render_to_string(
            "partials/messages.html", {"messages": storage, "oob": True}, request=request
        ).encode(response.charset)
        return response


def _is_swappable_html(response) -> bool:
    return (
        not response.streaming
        and not 300 <= response.status_code < 400
        and not response.has_header("HX-Redirect")
        and not response.has_header("HX-Location")
        and response.get("Content-Type", "").startswith("text/html")
    )
