"""Rendering and sending one notification mail: plain text plus HTML from templates, through
Django's e-mail (the SMTP server of `.env`, or a provider's relay).

The outbox item's key is the idempotency key: it is the mail's Message-ID (a receiver that
sees the same Message-ID twice has the same mail), and `X-Ledgerline-Event` names the event it
is about, so a mail can be traced to the log without reading its body.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def site_url() -> str:
    """Where links in mails point: SITE_URL, else where `make run` serves (development)."""
    return (settings.SITE_URL or "http://127.0.0.1:8000").rstrip("/")


def message_id(key: str) -> str:
    """An RFC 5322 msg-id for the outbox key (dot-atom text only: ':' becomes '.')."""
    return f"<{key.replace(':', '.')}@ledgerline.notifications>"


def send(
    *,
    template: str,
    subject: str,
    context: dict,
    to: str,
    key: str,
    event_id: str = "",
    language: str = "",
) -> None:
    """Render `notifications/emails/<template>.txt|.html` with `context` in `language` (the
    recipient's; default `LANGUAGE_CODE`) and send it to `to`. `subject` may be a lazy
    translation: it is rendered in that language too. Raises whatever the e-mail backend raises
    (the outbox retries)."""
    context = {"company": "", **context, "site_url": site_url()}
    with translation.override(language or settings.LANGUAGE_CODE):
        message = EmailMultiAlternatives(
            subject=f"Ledgerline: {subject}",
            body=render_to_string(f"notifications/emails/{template}.txt", context),
            to=[to],
            headers={"Message-ID": message_id(key), "X-Ledgerline-Event": event_id or key},
        )
        message.attach_alternative(
            render_to_string(f"notifications/emails/{template}.html", context), "text/html"
        )
    message.send()
