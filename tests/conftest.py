import pytest

from accounts.models import Role
from tests import factories


@pytest.fixture
def acme(db):
    return factories.CompanyFactory(name="Acme Corp", slug="acme", currency="EUR")


@pytest.fixture
def globex(db):
    return factories.CompanyFactory(name="Globex", slug="globex", currency="USD")


@pytest.fixture
def staff(acme):
    return factories.user(Role.STAFF, acme)


@pytest.fixture
def manager(acme):
    return factories.user(Role.MANAGER, acme)


@pytest.fixture
def auditor(acme):
    return factories.user(Role.AUDITOR, acme)


@pytest.fixture
def ops(acme):
    return factories.user(Role.OPS, acme)


@pytest.fixture
def globex_staff(globex):
    return factories.user(Role.STAFF, globex)


@pytest.fixture
def globex_manager(globex):
    return factories.user(Role.MANAGER, globex)
