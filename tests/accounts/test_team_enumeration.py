"""Issue #24 item 10: "add user" on /team/ does not tell a Manager whether a username exists in
another company. A Manager's new users are named in the company's own namespace
(`<slug>.<name>`, the prefix added when left out), which holds only that company's users: a name
is refused only when the company already has it, and the team page lists those anyway."""

import pytest

from accounts import commands
from accounts.exceptions import InvalidAccessChange
from accounts.models import User
from tests.factories import log_in

pytestmark = pytest.mark.django_db


def add(client, username):
    return client.post(
        "/team/",
        {"username": username, "email": "x@acme.test", "role": "Staff"},
        follow=True,
    )


def test_a_name_taken_in_another_company_is_answered_like_a_free_one(client, manager, globex_staff):
    log_in(client, manager)

    taken = add(client, globex_staff.username)
    free = add(client, "nobody.anywhere")

    assert (taken.status_code, free.status_code) == (200, 200)
    assert [m.level for m in taken.context["messages"]] == [
        m.level for m in free.context["messages"]
    ]
    assert User.objects.get(username=f"acme.{globex_staff.username}").company == manager.company
    assert User.objects.get(username="acme.nobody.anywhere").company == manager.company
    globex_staff.refresh_from_db()
    assert globex_staff.company.slug == "globex"


def test_a_new_user_is_named_in_the_company_namespace(client, manager):
    log_in(client, manager)

    add(client, "peter")
    add(client, "acme.paula")

    assert set(
        User.objects.filter(username__in=["acme.peter", "acme.paula"]).values_list(
            "username", flat=True
        )
    ) == {"acme.peter", "acme.paula"}


def test_a_name_the_company_already_has_is_refused(client, manager, staff):
    log_in(client, manager)

    answer = add(client, staff.username)

    assert answer.status_code == 422
    assert "already exists" in answer.content.decode()


def test_a_first_manager_is_not_named_in_another_company_namespace(globex):
    with pytest.raises(InvalidAccessChange) as refused:
        commands.create_company(
            name="Initech",
            slug="initech",
            currency="USD",
            manager_username="globex.bill",
            manager_email="bill@initech.test",
        )
    assert "username" in refused.value.errors


def test_a_company_slug_whose_namespace_holds_users_is_refused(globex_staff):
    User.objects.filter(pk=globex_staff.pk).update(username="initech.bill")

    with pytest.raises(InvalidAccessChange) as refused:
        commands.create_company(
            name="Initech",
            slug="initech",
            currency="USD",
            manager_username="bill",
            manager_email="bill@initech.test",
        )
    assert "slug" in refused.value.errors
