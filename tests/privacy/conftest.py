"""Erasure tests rebuild the read models and take backups: they need the scratch database of
the projections tests and the backup check's temporary alias."""

from tests.events.test_backup_db import check_alias_allowed  # noqa: F401 (a fixture)
from tests.projections.conftest import rebuildable_db  # noqa: F401 (a fixture)
