"""Saved views of the order list (issue #32): a named filter + sort per user, one click from the
list; create, rename, delete; at most 20 per user; company- and user-scoped."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from orders import saved_views
from orders.models import SavedView
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

QUERY = "state=submitted&mine=true&sort=-total&per_page=50"


@pytest.fixture
def staff_client(client, staff):
    log_in(client, staff)
    return client


def nav(page) -> str:
    html = page.content.decode()
    return re.search(r'data-testid="saved-views-nav".*?</nav>', html, re.S).group(0)


def test_a_user_saves_the_list_as_a_view_and_opens_it_with_one_click(staff_client, staff):
    response = staff_client.post("/orders/views/", {"name": "My submitted", "query": QUERY})

    assert response.status_code == 302
    assert response["Location"] == f"/orders/?{QUERY}"
    listing = nav(staff_client.get("/orders/"))
    assert f'<a href="/orders/?{QUERY.replace("&", "&amp;")}">My submitted</a>' in listing
    opened = staff_client.get(f"/orders/?{QUERY}")
    assert opened.status_code == 200


def test_the_page_number_and_empty_values_are_not_saved(staff_client, staff):
    staff_client.post("/orders/views/", {"name": "Big", "query": "q=&sort=total&page=3"})

    assert SavedView.objects.get(user=staff).query == "sort=total"


def test_a_view_the_list_would_refuse_is_refused(staff_client, staff):
    response = staff_client.post("/orders/views/", {"name": "Bad", "query": "per_page=7"})

    assert response.status_code == 422
    assert "The list refuses these filters" in response.content.decode()
    assert not SavedView.objects.exists()


def test_names_are_unique_per_user_and_bounded(staff_client, staff, acme):
    staff_client.post("/orders/views/", {"name": "Mine", "query": "mine=true"})

    taken = staff_client.post("/orders/views/", {"name": "Mine", "query": ""})
    blank = staff_client.post("/orders/views/", {"name": " ", "query": ""})
    long = staff_client.post("/orders/views/", {"name": "x" * 61, "query": ""})

    assert taken.status_code == 422 and "already have a view named" in taken.content.decode()
    assert blank.status_code == 400 and long.status_code == 400
    colleague = factories.user(Role.MANAGER, acme)
    saved_views.saved_view_create(user=colleague, name="Mine", query="")  # theirs: fine
    assert SavedView.objects.filter(name="Mine").count() == 2


def test_a_user_has_at_most_twenty_views(staff_client, staff):
    for number in range(saved_views.MAX_PER_USER):
        saved_views.saved_view_create(user=staff, name=f"View {number}", query="")

    response = staff_client.post("/orders/views/", {"name": "One more", "query": ""})

    assert response.status_code == 422
    assert "the most there can be" in response.content.decode()
    assert SavedView.objects.filter(user=staff).count() == saved_views.MAX_PER_USER


def test_rename_and_delete(staff_client, staff):
    view = saved_views.saved_view_create(user=staff, name="Old", query="mine=true")

    renamed = staff_client.post(f"/orders/views/{view.pk}/rename/", {"name": "New"}, follow=True)
    assert "Renamed to" in renamed.content.decode()
    assert SavedView.objects.get(pk=view.pk).name == "New"

    deleted = staff_client.post(f"/orders/views/{view.pk}/delete/", follow=True)
    assert "was deleted" in deleted.content.decode()
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_another_users_or_companys_view_is_a_404_and_not_listed(client, acme, globex, staff):
    colleague_view = saved_views.saved_view_create(
        user=factories.user(Role.MANAGER, acme), name="Colleague's", query=""
    )
    foreign_view = saved_views.saved_view_create(
        user=factories.user(Role.STAFF, globex), name="Globex's", query=""
    )
    log_in(client, staff)

    for view in (colleague_view, foreign_view):
        assert client.post(f"/orders/views/{view.pk}/rename/", {"name": "Mine"}).status_code == 404
        assert client.post(f"/orders/views/{view.pk}/delete/").status_code == 404
    page = client.get("/orders/views/").content.decode() + nav(client.get("/orders/"))
    assert "Colleague" not in page and "Globex" not in page
    assert SavedView.objects.count() == 2
