"""Requests per API key (DRF's throttle: over the rate, 429 with `Retry-After`)."""

from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """`API_RATE` (settings, e.g. "600/min") per key; unauthenticated requests per address."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        ident = request.auth.pk if request.auth is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
