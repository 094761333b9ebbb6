"""Users without a company (issue #14 item 6): a page that says what to do, never a 500."""

import pytest

from accounts.models import User
from events.models import Event
from tests import factories
from tests.factories import PASSWORD
from tests.security.conftest import order_post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin(db):
    """The superuser the deploy guide creates: no company."""
    return User.objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.mark.parametrize("url", ["/orders/", "/orders/new/", "/audit/"])
def test_a_user_without_a_company_reads_what_to_do_instead_of_company_pages(
    client, platform_admin, url
):
    factories.log_in(client, platform_admin)

    response = client.get(url)

    assert response.status_code == 403
    html = response.content.decode()
    assert "Your account belongs to no company" in html
    assert 'href="/admin/"' in html


def test_saving_a_new_order_without_a_company_is_403_with_the_reason_not_500(
    client, platform_admin
):
    factories.log_in(client, platform_admin)

    response = client.post("/orders/new/", order_post_data())

    assert response.status_code == 403
    assert "Your account belongs to no company" in response.content.decode()
    assert not Event.objects.exists()


def test_the_admin_stays_open_to_a_superuser_without_a_company(client, platform_admin):
    factories.log_in(client, platform_admin)

    assert client.get("/admin/").status_code == 200


def test_a_placing_command_refused_for_a_role_is_a_403_page_not_a_500(client, acme, monkeypatch):
    """Whatever lets a write through to the command, its ActionNotPermitted is a 403 page."""
    from orders import commands
    from orders.exceptions import ActionNotPermitted
    from tests import factories

    def refuse(**kwargs):
        raise ActionNotPermitted("Your role may not place orders.")

    monkeypatch.setattr(commands, "place_order", refuse)
    factories.log_in(client, factories.user("Staff", acme))

    response = client.post("/orders/new/", order_post_data())

    assert response.status_code == 403
    assert "Your role may not place orders." in response.content.decode()
