"""Fixtures of the event-store tests: a writer, a way around the triggers, a clean committed log."""

import pytest

from events import store
from tests import factories
from tests.events.sample_events import counted
from tests.vendor import drop_append_only_triggers


def append_counted(stream_id, expected_version, *numbers, company, actor=None, **kwargs):
    """Append one `SampleCounted` per number: the shortest way to put events in the log."""
    return store.append(
        stream_id,
        expected_version,
        counted(*numbers),
        company=company,
        actor=actor,
        stream_type="sample",
        **kwargs,
    )


@pytest.fixture
def tamperer(db):
    """Someone with write access to the database file: the append-only triggers are gone.

    The test's transaction rolls the DROP back (DDL is transactional in SQLite and PostgreSQL),
    which `test_triggers_dropped_in_a_rolled_back_transaction_are_back_afterwards` checks.
    """
    drop_append_only_triggers()


@pytest.fixture
def committed_log(committed_db):
    """For `transaction=True` tests: the shared `committed_db` (empties the log afterwards)."""


@pytest.fixture
def committed_company(transactional_db):
    """A company and a user committed for real, so other threads and processes see them."""
    company = factories.CompanyFactory(name="Concurrent Co", slug="concurrent")
    user = factories.UserFactory(username="concurrent.writer", company=company)
    return company, user
