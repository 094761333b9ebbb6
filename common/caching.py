"""Cache headers for pages that hold a company's data (issue #14 item 1, #15 item 5).

The same URL answers a whole page and, for htmx, a partial (`common.pages.render_page`). A
browser keeps one cache entry per URL, so without care the Back button shows the partial it last
fetched for that URL: a bare, unstyled fragment. Hence, on every response a view produces:

- `Vary: HX-Request`: the two answers are different representations (RFC 9110 §12.5.5);
- an htmx request's answer: `Cache-Control: no-store` (plus `private`, `no-cache`), so no browser
  or proxy keeps it and Back/Forward always fetch or restore a whole page;
- any other answer to a logged-in user: `private, no-cache`, so shared caches (proxies, CDNs)
  never store a company's data, and the browser revalidates before reuse. `no-store` is not used
  for whole pages: it would also switch off the back/forward cache, and the pages hold nothing
  a shared machine's browser history does not already show.

Responses that already say how to be cached (`never_cache` views such as login and /healthz)
are left as they are.
"""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers


class PrivateCacheMiddleware:
    """Sets `Vary: HX-Request` and the Cache-Control described in the module docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ["HX-Request"])
        if response.has_header("Cache-Control"):
            return response
        if request.headers.get("HX-Request"):
            add_never_cache_headers(response)  # max-age=0, no-cache, no-store, must-revalidate
            patch_cache_control(response, private=True)
        elif getattr(request, "user", None) is not None and request.user.is_authenticated:
            patch_cache_control(response, private=True, no_cache=True)
        return response
