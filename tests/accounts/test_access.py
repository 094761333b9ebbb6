"""Access: Django's ModelBackend and permissions; roles are only the groups that hold them.

Pages, navigation and commands ask for permissions, and a user's permissions are read afresh
for each request (the caches live on that request's user object): however a membership or a
grant changes, even by a queryset `.update()`/`.delete()` that sends no signal, or by another
process, the next request sees it.
"""

import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.backends import CompanyUserBackend
from accounts.models import Role, User
from events.models import Event
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

NEW_ORDER = {
    "customer_name": "Initech",
    "lines-TOTAL_FORMS": "1",
    "lines-INITIAL_FORMS": "0",
    "lines-0-sku": "A-1",
    "lines-0-quantity": "1",
    "lines-0-unit_price": "1.00",
}


def permission(codename: str) -> Permission:
    """The permission `codename`: the audit page's is the audit app's, the others the orders'."""
    app_label = "audit" if codename == "view_audit_log" else "orders"
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def group(role: Role) -> Group:
    return Group.objects.get(name=role.value)


def nav_links(client) -> str:
    """The main navigation's markup, as the user sees it on the order list."""
    html = client.get("/orders/").content.decode()
    return html[html.index('aria-label="Main navigation"') : html.index("</nav>")]


# --- granting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "codename", "url", "link"),
    [
        (Role.STAFF, "view_audit_log", "/audit/", "Event log"),
        (Role.AUDITOR, "place_order", "/orders/new/", "New order"),
    ],
    ids=["staff-audit-log", "auditor-new-order"],
)
def test_granting_a_permission_to_a_role_opens_the_page_and_shows_its_nav_link(
    client, acme, role, codename, url, link
):
    log_in(client, factories.user(role, acme))
    assert client.get(url).status_code == 403
    assert link not in nav_links(client)

    group(role).permissions.add(permission(codename))

    assert client.get(url).status_code == 200
    assert f'href="{url}">{link}</a>' in nav_links(client)


def test_a_new_role_with_write_permissions_can_write(client, acme):
    clerks = Group.objects.create(name="Clerks")
    writes = ["place_order", "change_draft_order", "submit_order", "add_note_order"]
    clerks.permissions.set([permission(codename) for codename in ["view_order", *writes]])
    clerk = factories.UserFactory(username="acme.clerk", company=acme)
    clerk.groups.add(clerks)
    log_in(client, clerk)

    assert 'href="/orders/new/">New order</a>' in nav_links(client)
    assert "Clerks</span>" in client.get("/orders/").content.decode()
    created = client.post("/orders/new/", NEW_ORDER)
    assert created.status_code == 302
    order_url = created["Location"]
    detail = client.get(order_url).content.decode()
    assert 'data-action="submit"' in detail
    assert f"{order_url}edit/" in detail and f"{order_url}notes/" in detail
    assert client.get(f"{order_url}edit/").status_code == 200
    noted = client.post(f"{order_url}notes/", {"version": 1, "text": "Rush, please"})
    assert noted.status_code == 303
    submitted = client.post(f"{order_url}transitions/submit/", {"version": 2})
    assert submitted.status_code == 303
    assert list(Event.objects.order_by("position").values_list("event_type", flat=True)) == [
        "OrderPlaced",
        "NoteAdded",
        "OrderSubmitted",
    ]


def test_a_role_that_may_only_add_notes_gets_the_note_form_and_nothing_else(client, acme):
    order = factories.order_in_state("draft", acme)
    commenters = Group.objects.create(name="Commenters")
    commenters.permissions.set([permission("view_order"), permission("add_note_order")])
    user = factories.UserFactory(username="acme.commenter", company=acme)
    user.groups.add(commenters)
    log_in(client, user)

    html = client.get(f"/orders/{order.id}/").content.decode()

    assert f"/orders/{order.id}/notes/" in html
    assert f"/orders/{order.id}/edit/" not in html
    assert "data-action=" not in html
    assert "No workflow actions are open to you in this state." in html
    assert client.get(f"/orders/{order.id}/edit/").status_code == 403
    assert client.post(f"/orders/{order.id}/transitions/submit/", {"version": 1}).status_code == 403
    assert (
        client.post(f"/orders/{order.id}/notes/", {"version": 1, "text": "Hi"}).status_code == 303
    )


def test_a_users_own_permissions_count_as_a_roles(client, auditor):
    auditor.user_permissions.add(permission("place_order"))
    log_in(client, auditor)

    assert client.get("/orders/new/").status_code == 200


# --- taking away: applies on the next request, however it is done ------------------------


def move_to_auditors_by_queryset_update(staff):
    User.groups.through.objects.filter(user=staff).update(group=group(Role.AUDITOR))


def delete_memberships_by_queryset(staff):
    User.groups.through.objects.filter(user=staff).delete()


def remove_membership(staff):
    staff.groups.remove(group(Role.STAFF))


def take_the_permission_from_the_role(staff):
    group(Role.STAFF).permissions.remove(permission("place_order"))


def delete_the_grant_by_queryset(staff):
    Group.permissions.through.objects.filter(
        group=group(Role.STAFF), permission=permission("place_order")
    ).delete()


def delete_the_grant_in_plain_sql(staff):
    """As a change committed by another process looks to this one: no signal at all."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM auth_group_permissions WHERE group_id = %s AND permission_id = %s",
            [group(Role.STAFF).pk, permission("place_order").pk],
        )


@pytest.mark.parametrize(
    "change",
    [
        move_to_auditors_by_queryset_update,
        delete_memberships_by_queryset,
        remove_membership,
        take_the_permission_from_the_role,
        delete_the_grant_by_queryset,
        delete_the_grant_in_plain_sql,
    ],
)
def test_a_permission_taken_away_applies_on_the_next_request(client, staff, change):
    log_in(client, staff)
    assert client.get("/orders/new/").status_code == 200

    change(staff)

    assert client.get("/orders/new/").status_code == 403
    assert client.post("/orders/new/", NEW_ORDER).status_code == 403
    assert "New order" not in nav_links(client)
    assert Event.objects.count() == 0


def test_a_user_moved_to_another_role_gets_its_permissions_on_the_next_request(client, auditor):
    log_in(client, auditor)
    assert client.get("/orders/new/").status_code == 403

    auditor.groups.set([group(Role.STAFF)])

    assert client.get("/orders/new/").status_code == 200
    assert "Staff</span>" in client.get("/orders/").content.decode()


def test_a_deactivated_user_is_logged_out_on_the_next_request(client, staff):
    log_in(client, staff)
    assert client.get("/orders/").status_code == 200

    staff.is_active = False
    staff.save(update_fields=["is_active"])

    assert client.get("/orders/").status_code == 302  # to the login page


def test_a_demoted_superuser_loses_the_permissions_on_the_next_request(client, auditor):
    auditor.is_superuser = True
    auditor.save()
    log_in(client, auditor)
    assert client.get("/orders/new/").status_code == 200

    auditor.is_superuser = False
    auditor.save()

    assert client.get("/orders/new/").status_code == 403


# --- the machinery ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/"),
        ("get", "/orders/"),
        ("get", "/orders/new/"),
        ("get", "/audit/"),
        ("post", f"/orders/{uuid.UUID(int=1)}/transitions/submit/"),
        ("post", f"/orders/{uuid.UUID(int=1)}/notes/"),
    ],
)
def test_an_anonymous_visitor_is_sent_to_the_login_page_not_refused(client, db, method, url):
    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_request_user_comes_with_its_company_in_one_query(staff, django_assert_num_queries):
    backend = CompanyUserBackend()

    with django_assert_num_queries(1):
        user = backend.get_user(staff.pk)
        assert user.company.slug == "acme"
    assert backend.get_user(uuid.uuid4()) is None
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    assert backend.get_user(staff.pk) is None


def test_a_request_reads_the_users_permissions_once_however_often_it_asks(client, acme):
    """The detail page asks for a dozen permissions (page, navigation, buttons, note form)."""
    order = factories.order_in_state("approved", acme)
    log_in(client, factories.user(Role.MANAGER, acme))

    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/orders/{order.id}/").status_code == 200

    permission_reads = [q for q in captured if '"auth_permission"' in q["sql"]]
    assert len(permission_reads) == 1  # the user's own and its groups' together


@pytest.mark.parametrize("superuser", [False, True])
def test_one_read_gives_what_modelbackends_two_give(acme, superuser):
    from django.contrib.auth.backends import ModelBackend

    user = factories.user(Role.STAFF, acme)
    user.user_permissions.add(permission("view_audit_log"))
    if superuser:
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    theirs = ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
    ours = CompanyUserBackend().get_all_permissions(User.objects.get(pk=user.pk))
    assert ours == theirs
    assert "audit.view_audit_log" in ours and "orders.place_order" in ours
    user.is_active = False
    assert CompanyUserBackend().get_all_permissions(user) == set()


def test_what_an_administrator_granted_a_role_survives_the_next_migrate(client, staff):
    group(Role.STAFF).permissions.add(permission("view_audit_log"))
    group(Role.MANAGER).permissions.remove(permission("approve_order"))

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")  # as migrate ends

    assert group(Role.STAFF).permissions.filter(codename="view_audit_log").exists()
    assert not group(Role.MANAGER).permissions.filter(codename="approve_order").exists()


def test_a_missing_built_in_role_comes_back_with_its_permissions_after_migrate(db):
    group(Role.AUDITOR).delete()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert set(group(Role.AUDITOR).permissions.values_list("codename", flat=True)) == {
        "view_order",
        "view_audit_log",
        "view_customer",
        "view_sku",
    }
