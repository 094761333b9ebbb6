"""Which time zone a person's pages are in (issue #29): their own choice in "My settings",
else their company's, else the site's TIME_ZONE. Events keep UTC instants; only what is shown
and how days are counted follow the zone. `UserLocaleMiddleware` activates it, and the user's
language (`accounts.language`), for each request."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.utils import timezone

from .language import activate_user_language, keep_language_cookie


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The zone called `name`, or the site's TIME_ZONE for "" or a name this machine lacks
    (a zone validated when stored can vanish with an older tzdata: never a 500)."""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def company_zone(company) -> zoneinfo.ZoneInfo:
    """The company's zone (`Company.time_zone`); the site's for no company."""
    return zone_named(getattr(company, "time_zone", "") if company is not None else "")


def user_zone(user) -> zoneinfo.ZoneInfo:
    """The zone `user` sees times in: their own, else their company's, else the site's."""
    own = getattr(user, "time_zone", "")
    if own:
        return zone_named(own)
    if getattr(user, "company_id", None):
        return company_zone(user.company)
    return zone_named("")


class UserLocaleMiddleware:
    """Activates the signed-in user's own language (`accounts.language`) and time zone
    (`user_zone`) for the request, from the one user object the request has read, so templates,
    forms and date filters speak them; anonymous requests keep Django's language choice and
    TIME_ZONE. Place after AuthenticationMiddleware and before anything that may answer on its
    own (the login and company redirects), so that answer is in the user's language too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and not user.is_authenticated:
            user = None
        chosen = activate_user_language(request, user)
        if user is not None:
            timezone.activate(user_zone(user))
        else:
            timezone.deactivate()
        # Neither is deactivated on the way out: a streamed response (the CSV exports) renders
        # its rows after this returns; the next request sets its own first.
        response = self.get_response(request)
        keep_language_cookie(request, response, user, chosen)
        return response
