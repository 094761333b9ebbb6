"""The app's URLs plus the minimal reference view (selected by bench.settings only).

`/bench/minimal/` goes through the same waitress, middleware stack and login (session row and
user row loaded by LoginRequiredMiddleware) as the real pages, but renders no template and
queries nothing of its own: a page's latency minus this view's is what the page itself costs.
"""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from config.urls import urlpatterns as app_urlpatterns


@require_GET
def minimal(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal, name="bench_minimal"), *app_urlpatterns]
