"""The app's URLs plus `/bench/minimal/`: the pages' server, middleware and login (session and
user rows) but no template or query of its own; a page's latency minus its is the page's own."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from config.urls import urlpatterns as app_urlpatterns


@require_GET
def minimal(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal, name="bench_minimal"), *app_urlpatterns]
