"""The app's URLs plus the minimal reference view (selected by bench.settings only)."""

from django.urls import path

from config.urls import urlpatterns as app_urlpatterns

from .minimal_view import minimal

urlpatterns = [path("bench/minimal/", minimal, name="bench_minimal"), *app_urlpatterns]
