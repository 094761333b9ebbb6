"""The language a page is shown in (issue #29 item 2).

Django's `LocaleMiddleware` picks the language from the language cookie, else the browser's
`Accept-Language` (and adds `Vary: Accept-Language`). A signed-in user's choice in "My settings"
(`User.language`) wins over both: after authentication, `accounts.locale.UserLocaleMiddleware`
activates it for the request (`activate_user_language`) and keeps the language cookie in step
with the choice (`keep_language_cookie`), so the pages a user sees signed out (login, password
reset, "logged out") stay in their language; a blank choice ("the browser's") removes the
cookie so `Accept-Language` decides again.

Pages of a signed-in user already vary on the session cookie (`Vary: Cookie`, set by the session
middleware when the user is read), so a cached page is never served in another user's language;
a signed-out page that the language cookie decided varies on it too.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import trans_real


def activate_user_language(request, user) -> str:
    """Activate the language `user` (signed in, or None) chose for this request: their choice;
    no choice but an old cookie of one: the browser's; else Django's own choice (cookie, then
    Accept-Language) stands. Returns the choice ("" for none), which
    `keep_language_cookie` needs on the way out."""
    chosen = user.language if user is not None else ""
    if chosen or (user is not None and settings.LANGUAGE_COOKIE_NAME in request.COOKIES):
        language = chosen or browser_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
    return chosen


def keep_language_cookie(request, response, user, chosen: str) -> None:
    """On the way out: a signed-in user's language cookie in step with `chosen`; a signed-out
    page that the cookie chose varies on it."""
    if user is not None:
        _keep_cookie_in_step(request, response, chosen)
    elif settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        patch_vary_headers(response, ["Cookie"])  # the cookie chose this page's language


def _keep_cookie_in_step(request, response, chosen: str) -> None:
    name = settings.LANGUAGE_COOKIE_NAME
    current = request.COOKIES.get(name)
    if chosen and current != chosen:
        response.set_cookie(
            name,
            chosen,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    elif not chosen and current is not None:
        response.delete_cookie(
            name, path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN
        )
    patch_vary_headers(response, ["Cookie"])


def browser_language(request) -> str:
    """The first of the browser's Accept-Language that we speak, else LANGUAGE_CODE (Django's
    own choice without its cookie and URL steps)."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def recipient_language(user) -> str:
    """The language a mail to `user` is written in: their choice, else the site's default
    (`LANGUAGE_CODE`). A mail has no browser to ask."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE
