"""The reference page for the page benchmarks: the floor under every real page.

It runs through the same waitress, middleware stack and login (session row + user row loaded
by LoginRequiredMiddleware) as the real pages, but renders no template and queries nothing of
its own. A page's latency minus this view's is what the page itself costs.
"""

from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def minimal(request):
    return HttpResponse(b"ok", content_type="text/plain")
