"""First run: a company without orders is told, by role, what to do first; a platform superuser
without a company sees the companies instead of an empty dashboard."""

import re

import pytest

from accounts.models import Role, User
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db


def first_steps(client) -> list[str]:
    page = client.get("/")
    assert page.status_code == 200
    return re.findall(r'data-step="(\w+)"', page.content.decode())


@pytest.mark.parametrize(
    ("role", "steps"),
    [
        (Role.MANAGER, ["team", "order", "import"]),
        (Role.STAFF, ["order"]),
        (Role.AUDITOR, ["import", "wait"]),
        (Role.OPS, ["import", "wait"]),
    ],
)
def test_a_company_without_orders_sees_its_first_steps_by_role(client, acme, role, steps):
    log_in(client, factories.user(role, acme))
    assert first_steps(client) == steps


def test_the_first_steps_go_once_the_company_has_an_order(client, acme, manager, staff):
    factories.place(staff)
    log_in(client, manager)
    assert first_steps(client) == []


def test_a_superuser_without_company_sees_the_companies(client, acme, globex, manager, staff):
    factories.place(staff)
    factories.place(staff)
    root = User.objects.create_superuser("root", "root@example.test", "x")
    log_in(client, root)
    home = client.get("/")
    assert home.status_code == 302 and home.url == "/companies/"
    page = client.get("/companies/").content.decode()
    rows = re.findall(
        r"<tr>\s*<td>(.*?)</td><td>(\w+)</td>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>\s*<td>(.*?)</td>",
        page,
    )
    assert [row[:4] for row in rows] == [
        ("Acme Corp", "acme", "2", "2"),
        ("Globex", "globex", "0", "0"),
    ]
    assert rows[0][4] != "none" and rows[1][4] == "none"


def test_only_a_superuser_sees_the_companies(client, manager):
    log_in(client, manager)
    assert client.get("/companies/").status_code == 403
