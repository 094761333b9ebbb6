"""Benchmark settings: the production settings plus one bench-only URL.

`bench.run` starts waitress with these, so the pages are measured exactly as production serves
them (DEBUG off, cached template loader, manifest static files, the whole middleware stack).
Two differences, both bench-only:

- ROOT_URLCONF adds `/bench/minimal/` (the reference view) without touching the app's URLs.
- STATIC_ROOT follows BENCH_STATIC_ROOT (next to the benchmark database), so a bench run never
  rewrites the project's `staticfiles/` while `make serve` may be using it.
"""

from decouple import config

from config.settings.prod import *  # noqa: F403
from config.settings.prod import BASE_DIR

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = config("BENCH_STATIC_ROOT", default=str(BASE_DIR / "bench" / "data" / "staticfiles"))
