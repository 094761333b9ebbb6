"""Ended sessions and the way back in (issue #14 item 2).

- `LoginRequiredMiddleware`: Django's, but an htmx request without a valid session is answered
  with `HX-Redirect` (htmx then loads the login page as a whole page, https://htmx.org/reference/
  #response_headers) instead of a 302 that the browser's XHR would follow and htmx would swap
  into the page. `next` is the page the person was on (`HX-Current-URL`), and a message says
  the session ended.
- `LoginView`: Django's, but a `next` that names a POST-only URL (a workflow action, a note)
  lands on the page that URL belongs to instead of a blank 405.
- `SessionRefreshMiddleware`: sessions end after `SESSION_COOKIE_AGE` seconds without a request
  from the person (idle time); an auto-refresh (`X-Auto-Refresh` header) does not count.
  (The signal receiver below is connected when the middleware module is imported, i.e. when
  Django loads MIDDLEWARE.)
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

SESSION_ENDED = _("Your session has ended. Please log in again.")
NOT_SAVED = _(
    "Your session had ended, so what you sent last was not saved. Log in, then try it again."
)
AUTO_REFRESH_HEADER = "X-Auto-Refresh"


def post_only(view):
    """`require_POST`, and marks the view: a login whose `next` is its URL goes to its page."""
    wrapped = require_POST(view)
    wrapped.post_only = True
    return wrapped


def page_for(path: str) -> str:
    """`path` itself if a GET can open it; for a POST-only URL the nearest parent path that is
    a page (`/orders/<id>/transitions/cancel/` → `/orders/<id>/`); else LOGIN_REDIRECT_URL."""
    if _opens_with_get(path):
        return path
    candidate = urlsplit(path).path
    while candidate not in ("", "/"):
        candidate = candidate.rstrip("/").rsplit("/", 1)[0] + "/"
        if _opens_with_get(candidate):
            return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _opens_with_get(path: str) -> bool:
    try:
        view = resolve(urlsplit(path).path).func
    except Resolver404:
        return False
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return "get" in view_class.http_method_names
    return not getattr(view, "post_only", False)


def _same_site_path(request, url: str) -> str:
    """The path and query of `url` if it points at this site, else ''."""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, with htmx requests sent to the login page whole."""

    def handle_no_permission(self, request, view_func):
        htmx = bool(request.headers.get("HX-Request"))
        # Only a page of a logged-in person sends a POST or an htmx request; a stale session
        # cookie also tells an ended session from a first visit.
        if request.method == "POST":
            messages.warning(request, NOT_SAVED)
        elif htmx or settings.SESSION_COOKIE_NAME in request.COOKIES:
            messages.warning(request, SESSION_ENDED)
        if not htmx:
            return super().handle_no_permission(request, view_func)
        here = _same_site_path(request, request.headers.get("HX-Current-URL", ""))
        login = redirect_to_login(
            page_for(here) if here else resolve_url(settings.LOGIN_REDIRECT_URL),
            resolve_url(self.get_login_url(view_func)),
            self.get_redirect_field_name(view_func),
        )
        return HttpResponseClientRedirect(login["Location"])


class PasswordLoginForm(AuthenticationForm):
    """Django's login form; a company that signs in through its identity provider may switch
    password login off (`User.may_use_password`): the person is told where to sign in instead of
    "wrong password". (Django's documented hook: `confirm_login_allowed`.)"""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.may_use_password():
            raise ValidationError(PASSWORD_LOGIN_OFF, code="password_login_off")


PASSWORD_LOGIN_OFF = (
    'Your company signs in through its identity provider: use "Sign in with your company '
    'account" below.'
)


class LoginView(auth_views.LoginView):
    """Django's LoginView; a `next` naming a POST-only URL is replaced by its page."""

    redirect_authenticated_user = True
    authentication_form = PasswordLoginForm

    def get_redirect_url(self):
        url = super().get_redirect_url()
        return page_for(url) if url else url


REFRESHED_AT = "_session_refreshed_at"
# The session's end moves at most this often: a write per minute per person instead of a
# write per request (the idle timeout is then exact to within this many seconds).
REFRESH_EVERY_SECONDS = 60


class SessionRefreshMiddleware:
    """Moves a logged-in person's session end to SESSION_COOKIE_AGE from now on their requests
    (what SESSION_SAVE_EVERY_REQUEST does, at most once per REFRESH_EVERY_SECONDS), except for
    requests marked as an auto-refresh: a dashboard left open does not keep a session alive.

    Place it after SessionMiddleware and AuthenticationMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.headers.get(AUTO_REFRESH_HEADER)
            and time.time() - request.session.get(REFRESHED_AT, 0) >= REFRESH_EVERY_SECONDS
        ):
            request.session[REFRESHED_AT] = int(time.time())  # saves it: a new expiry
        return response


@receiver(user_logged_in)
def _session_starts_fresh(sender, request, user, **kwargs):
    """A login saves the session anyway: note it, so the next request does not save it again."""
    if request is not None and hasattr(request, "session"):
        request.session[REFRESHED_AT] = int(time.time())
