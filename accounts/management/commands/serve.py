"""`manage.py serve`: the production server command, defined once.

`make serve`, the systemd unit (deploy/systemd/ledgerline.service) and the docs all run this,
so the waitress options cannot drift apart again (a `make serve` without the trusted-proxy
options sent every request behind nginx back to https: a redirect loop).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from waitress import serve

from config.env import listen_address
from config.wsgi import application


def waitress_options(listen: str) -> dict:
    """The keyword arguments for `waitress.serve` (waitress 3 names; see its Arguments docs).

    Only the proxy at SERVE_TRUSTED_PROXY (nginx on loopback) may set X-Forwarded-For and
    X-Forwarded-Proto: waitress then takes REMOTE_ADDR and `wsgi.url_scheme` from them and
    removes those headers from any other client, so nobody else can claim to be on https or to
    come from another address.
    """
    return {
        "listen": listen,
        "threads": settings.SERVE_THREADS,
        "trusted_proxy": settings.SERVE_TRUSTED_PROXY,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
        "clear_untrusted_proxy_headers": True,
        "log_untrusted_proxy_headers": False,
        "ident": "waitress",
    }


class Command(BaseCommand):
    help = "Serve the site with waitress, as in production (behind nginx)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--listen",
            default=settings.SERVE_LISTEN,
            help="host:port to listen on (default: SERVE_LISTEN, 127.0.0.1:8000)",
        )

    def handle(self, *args, listen: str, **options):
        try:  # as SERVE_LISTEN is checked: waitress binds port 99999 as 34463
            listen = listen_address("--listen")(listen)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Serving on http://{listen} with waitress", ending="\n")
        self.stdout.flush()
        serve(application, **waitress_options(listen))
