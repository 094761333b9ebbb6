"""Benchmark settings: production's (DEBUG off, cached templates, manifest static files, the
whole middleware stack) plus `/bench/minimal/` (bench/urls.py)."""

from config.settings.prod import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
