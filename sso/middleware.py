"""Logout through the identity provider under the strict CSP."""

from .backends import ID_TOKEN_SESSION_KEY, LOGOUT_ORIGIN_SESSION_KEY


class ProviderLogoutCSPMiddleware:
    """For a session that came through single sign-on, allow the logout form's redirect to the
    provider's end-session endpoint: CSP `form-action 'self'` also governs where a submitted
    form is redirected, so without this the browser would stop at our side of the logout.

    Only that one origin, only for that session. Place it after `csp.middleware.CSPMiddleware`
    (its response attribute is read there, django-csp's documented `_csp_update`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        origin = ""
        if session is not None and session.get(ID_TOKEN_SESSION_KEY):
            origin = session.get(LOGOUT_ORIGIN_SESSION_KEY, "")
        response = self.get_response(request)
        if origin:
            update = dict(getattr(response, "_csp_update", None) or {})
            update["form-action"] = [*update.get("form-action", []), origin]
            response._csp_update = update
        return response
