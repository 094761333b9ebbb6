"""The app's URLs plus `/bench/minimal/` (bench.settings only): the same waitress, middleware
and login (session and user rows) as the real pages, but no template and no query of its own,
so a page's latency minus this view's is what the page itself costs."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from config.urls import urlpatterns as app_urlpatterns


@require_GET
def minimal(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal, name="bench_minimal"), *app_urlpatterns]
