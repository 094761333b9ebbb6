"""Issue #24 item 12: /ops/ shows platform facts (absolute file paths, the whole log's
positions, every company's activity) only to the platform operator (a superuser); a company's
Ops user sees its own company's figures and nothing of the platform or of other companies."""

import re

import pytest
from django.conf import settings

from accounts.models import Role, User
from events.sqlite import database_path
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("platform.operator", "op@platform.test", "x-Long-pass-42")


@pytest.fixture
def activity(acme, globex, staff, globex_staff):
    for _ in range(2):
        factories.place(staff)
    for _ in range(3):
        factories.place(globex_staff)


def test_a_company_ops_user_sees_its_own_figures_and_no_platform_facts(client, ops, activity):
    log_in(client, ops)

    response = client.get("/ops/")

    assert response.status_code == 200
    page = text(response)
    assert 'data-testid="company-events">2<' in response.content.decode()
    path = database_path("default")
    if path:
        assert path not in page
    assert 'data-testid="head"' not in response.content.decode()
    assert "Globex" not in page
    assert str(settings.BASE_DIR) not in page


def test_the_platform_operator_sees_the_platform(client, operator, activity):
    log_in(client, operator)

    response = client.get("/ops/")

    assert response.status_code == 200
    assert re.search(r'data-testid="head">5<', response.content.decode())
    path = database_path("default")
    if path:
        assert path in text(response)


def test_two_companies_ops_users_see_different_figures(client, globex, ops, activity):
    globex_ops = factories.user(Role.OPS, globex)

    log_in(client, ops)
    acme_page = client.get("/ops/").content.decode()
    log_in(client, globex_ops)
    globex_page = client.get("/ops/").content.decode()

    assert 'data-testid="company-events">2<' in acme_page
    assert 'data-testid="company-events">3<' in globex_page
