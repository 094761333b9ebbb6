"""Benchmark settings: production's (DEBUG off, cached templates, manifest static files, the
whole middleware stack) plus `/bench/minimal/` (bench/urls.py), and STATIC_ROOT beside the
bench database (BENCH_STATIC_ROOT), so a run never rewrites the project's `staticfiles/`."""

from decouple import config

from config.settings.prod import *  # noqa: F403
from config.settings.prod import BASE_DIR

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = config("BENCH_STATIC_ROOT", default=str(BASE_DIR / "bench" / "data" / "staticfiles"))
