"""Where a webhook may be sent: only https:// in production, never to an address that
resolves to loopback, link-local, private or otherwise non-public ranges unless a setting
allows it (SSRF: a company must not reach the server's own network through us). Checked when an
endpoint is saved and again before every delivery (DNS may have changed)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .exceptions import UnsafeUrl


def check_url(url: str) -> None:
    """Raise UnsafeUrl (its message for the person) unless `url` may receive webhooks."""
    parts = urlsplit(url)
    allowed_schemes = {"https", "http"} if settings.WEBHOOK_ALLOW_HTTP else {"https"}
    if parts.scheme not in allowed_schemes:
        raise UnsafeUrl(_("The address must start with https://."))
    if not parts.hostname:
        raise UnsafeUrl(_("The address needs a host name."))
    if parts.username or parts.password:
        raise UnsafeUrl(_("The address must not contain a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as error:
        raise UnsafeUrl(f"The host {parts.hostname!r} cannot be resolved.") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        reason = refused_because(address)
        if reason:
            raise UnsafeUrl(f"The host {parts.hostname!r} resolves to {address}, {reason}.")


def refused_because(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why `address` may not receive webhooks ('' when it may), per the settings."""
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    if address.is_loopback:
        return "" if settings.WEBHOOK_ALLOW_LOOPBACK else "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private or address.is_reserved or address.is_unspecified:
        return "" if settings.WEBHOOK_ALLOW_PRIVATE else "a private address"
    if address.is_multicast:
        return "a multicast address"
    return ""
