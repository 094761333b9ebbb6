from tests.projections.conftest import rebuildable_db  # noqa: F401  (rebuild tests use it)
