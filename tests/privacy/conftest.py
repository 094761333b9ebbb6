"""Erasure tests rebuild the read models: they need the projections tests' scratch database."""

from tests.projections.conftest import rebuildable_db  # noqa: F401 (a fixture)
