"""Roles at every URL: one table of what each role gets from each route, checked by walking them.

Every route of the project is read from the resolver (admin and the API aside, as the tenancy
walk reads them: tests/api/test_api_access.py walks the API's with keys), its parameters filled
with fresh objects of the user's own company of the right kind (`conftest.Records`), and each
role opens it with GET and sends it a POST that our forms would accept. The answers come from the
permissions each role holds (orders/permissions.py): a role without the permission gets 403 and
the log does not change, a method the route does not take gets 405, and an object of the user's
own company is never a 404. A route missing from the table fails the walk: a new page gets its
row the day it is added. The workflow actions from every state are tests/security/test_roles.py's.
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role
from events.models import Event
from tests import factories

from .conftest import Records
from .test_tenant_isolation import PARAMETER, ROUTES, post_data_for

ROLES = (Role.STAFF, Role.MANAGER, Role.AUDITOR, Role.OPS)

# A POST the role may send: the view ran and answered (a redirect after saving, a form with its
# errors, a refusal of the data, a question first). Anything but "not for you", "no such thing",
# "not this method" or an error.
RAN = "ran"
NOT_RAN = {403, 404, 405}

EVERYONE = (200, 200, 200, 200)
EVERYONE_RAN = (RAN, RAN, RAN, RAN)
NO_METHOD = (405, 405, 405, 405)
NOBODY = (403, 403, 403, 403)
SIGNED_IN_ALREADY = (302, 302, 302, 302)  # a sign-in page: on to the user's pages
WRITERS = (200, 200, 403, 403)  # Staff and Manager: orders.place_order and the like
WRITERS_RAN = (RAN, RAN, 403, 403)
MANAGER = (403, 200, 403, 403)  # the team, controls, price list, imports, erasure, integrations
MANAGER_RAN = (403, RAN, 403, 403)
READERS = (403, 200, 200, 200)  # audit.view_audit_log
RECORD_READERS = (200, 200, 200, 403)  # customers.view_customer, customers.view_sku
OPS = (403, 403, 403, 200)  # orders.view_ops_desk
OPS_RAN = (403, 403, 403, RAN)

# route: (GET for Staff, Manager, Auditor, Ops), (POST for the same)
ACCESS = {
    # --- signing in and out, passwords (Django's views), single sign-on --------------------------
    "accounts/login/": (SIGNED_IN_ALREADY, EVERYONE_RAN),
    "accounts/logout/": (NO_METHOD, EVERYONE_RAN),
    "accounts/password_change/": (EVERYONE, EVERYONE_RAN),
    "accounts/password_change/done/": (EVERYONE, NO_METHOD),
    "accounts/password_reset/": (EVERYONE, EVERYONE_RAN),
    "accounts/password_reset/done/": (EVERYONE, NO_METHOD),
    "accounts/reset/<uidb64>/<token>/": (EVERYONE, EVERYONE_RAN),
    "accounts/reset/done/": (EVERYONE, NO_METHOD),
    "accounts/set-password/<uidb64>/<token>/": (EVERYONE, EVERYONE_RAN),
    "accounts/set-password/done/": (EVERYONE, NO_METHOD),
    "healthz": (EVERYONE, NO_METHOD),
    "sso/": (SIGNED_IN_ALREADY, NO_METHOD),  # no address typed: back to the login page
    "sso/<slug:slug>/login/": ((404, 404, 404, 404), NO_METHOD),  # the company has no SSO
    "sso/callback/": (SIGNED_IN_ALREADY, NO_METHOD),  # no state: to the refusal
    "sso/refused/": (NOBODY, NO_METHOD),  # the page saying why a sign-in was refused
    "companies/": (NOBODY, NO_METHOD),  # platform superusers only
    # --- my settings ------------------------------------------------------------------------------
    "settings/": (EVERYONE, EVERYONE_RAN),
    "settings/locale/": (NO_METHOD, EVERYONE_RAN),
    # --- the team, API keys, the company's time zone and sign-in: accounts.manage_team -----------
    "team/": (MANAGER, MANAGER_RAN),
    "team/<uuid:user_id>/role/": (NO_METHOD, MANAGER_RAN),
    "team/<uuid:user_id>/deactivate/": (NO_METHOD, MANAGER_RAN),
    "team/<uuid:user_id>/reactivate/": (NO_METHOD, MANAGER_RAN),
    "team/<uuid:user_id>/unlock/": (NO_METHOD, MANAGER_RAN),
    "team/<uuid:user_id>/revoke-invitation/": (NO_METHOD, MANAGER_RAN),
    "team/<uuid:user_id>/password-link/": (NO_METHOD, MANAGER_RAN),
    "team/api-keys/": (MANAGER, MANAGER_RAN),
    "team/api-keys/<uuid:key_id>/revoke/": (NO_METHOD, MANAGER_RAN),
    "team/sign-in/": (MANAGER, MANAGER_RAN),
    "company/time-zone/": (NO_METHOD, MANAGER_RAN),
    # --- orders -----------------------------------------------------------------------------------
    "": (EVERYONE, NO_METHOD),  # the dashboard
    "orders/": (EVERYONE, NO_METHOD),
    "orders/new/": (WRITERS, WRITERS_RAN),
    "orders/bulk/": (NO_METHOD, EVERYONE_RAN),  # each action asks its own permission
    "orders/controls/": (MANAGER, MANAGER_RAN),
    "orders/views/": (EVERYONE, EVERYONE_RAN),  # saved views: a person's own
    "orders/views/<uuid:view_id>/rename/": (NO_METHOD, EVERYONE_RAN),
    "orders/views/<uuid:view_id>/delete/": (NO_METHOD, EVERYONE_RAN),
    "orders/<uuid:order_id>/": (EVERYONE, NO_METHOD),
    "orders/<uuid:order_id>/edit/": (WRITERS, WRITERS_RAN),
    "orders/<uuid:order_id>/amend/": (WRITERS, WRITERS_RAN),
    "orders/<uuid:order_id>/transitions/<str:name>/": (NO_METHOD, WRITERS_RAN),  # submit
    "orders/<uuid:order_id>/notes/": (NO_METHOD, WRITERS_RAN),
    "orders/<uuid:order_id>/history/": (EVERYONE, NO_METHOD),
    "orders/<uuid:order_id>/print/": (EVERYONE, NO_METHOD),
    "orders/<uuid:order_id>/erase/": (NO_METHOD, MANAGER_RAN),
    "orders/customers/<uuid:customer_id>/erase/": (NO_METHOD, MANAGER_RAN),
    "orders/import/": (MANAGER, MANAGER_RAN),
    "orders/import/<uuid:job_id>/": (MANAGER, NO_METHOD),
    "orders/import/<uuid:job_id>/start/": (NO_METHOD, MANAGER_RAN),
    # --- customers and SKUs: Staff keep customers, a Manager the price list and deactivations ---
    "customers/": (RECORD_READERS, NO_METHOD),
    "customers/lookup/": (RECORD_READERS, NO_METHOD),
    "customers/new/": (WRITERS, WRITERS_RAN),
    "customers/<uuid:customer_id>/": (RECORD_READERS, NO_METHOD),
    "customers/<uuid:customer_id>/edit/": (WRITERS, WRITERS_RAN),
    "customers/<uuid:customer_id>/deactivate/": (NO_METHOD, MANAGER_RAN),
    "customers/<uuid:customer_id>/reactivate/": (NO_METHOD, MANAGER_RAN),
    "customers/skus/": (RECORD_READERS, NO_METHOD),
    "customers/skus/lookup/": (RECORD_READERS, NO_METHOD),
    "customers/skus/new/": (MANAGER, MANAGER_RAN),
    "customers/skus/<uuid:sku_id>/edit/": (MANAGER, MANAGER_RAN),
    "customers/skus/<uuid:sku_id>/deactivate/": (NO_METHOD, MANAGER_RAN),
    "customers/skus/<uuid:sku_id>/reactivate/": (NO_METHOD, MANAGER_RAN),
    # --- the event log, controls report and erasures: audit.view_audit_log ---------------------
    "audit/": (READERS, NO_METHOD),
    "audit/controls/": (READERS, NO_METHOD),
    "audit/erasures/": (READERS, NO_METHOD),
    "audit/erasures/<uuid:event_id>/": (READERS, NO_METHOD),
    # --- the ops desk: orders.view_ops_desk -------------------------------------------------------
    "ops/": (OPS, NO_METHOD),
    "ops/outbox/<uuid:item_id>/retry/": (NO_METHOD, OPS_RAN),
    "ops/outbox/<uuid:item_id>/skip/": (NO_METHOD, OPS_RAN),
    # --- webhook endpoints: accounts.manage_team --------------------------------------------------
    "integrations/": (MANAGER, MANAGER_RAN),
    "integrations/<uuid:endpoint_id>/": (MANAGER, MANAGER_RAN),
    "integrations/<uuid:endpoint_id>/enable/": (NO_METHOD, MANAGER_RAN),
    "integrations/<uuid:endpoint_id>/disable/": (NO_METHOD, MANAGER_RAN),
    "integrations/<uuid:endpoint_id>/retry/": (NO_METHOD, MANAGER_RAN),
    "integrations/<uuid:endpoint_id>/replay/": (NO_METHOD, MANAGER_RAN),
}  # fmt: skip


# The same route under another query, answered as the route: the print page's two documents.
VARIANTS = {"orders/<uuid:order_id>/print/": ("?document=confirmation", "?document=packing-slip")}


def url_for(route: str, records: Records):
    """(url, the order it names or None): each parameter filled with a fresh own object."""
    url, order = "/" + route, None
    for match in PARAMETER.finditer(route):
        name = match["name"]
        if match["converter"] == "uuid":
            value, named = records.for_parameter(name, route)
            order = order or named
        elif name == "name":
            value = "submit"  # every action from every state: tests/security/test_roles.py
        elif name == "slug":
            value = records.company.slug
        else:
            value = "x"  # a password link's parts: not a valid link
        url = url.replace(match.group(0), value, 1)
    return url, order


def answered(status: int, expected) -> bool:
    if expected == RAN:
        return status not in NOT_RAN and status < 500
    return status == expected


def test_the_table_has_a_row_for_every_route():
    assert sorted(set(ROUTES) - set(ACCESS)) == [], "routes without a row"
    assert sorted(set(ACCESS) - set(ROUTES)) == [], "rows of routes that are gone"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
def test_each_role_gets_what_the_table_says_at_every_url(acme, role):
    user = factories.user(role, acme)
    records = Records(acme, user)
    client = Client()
    column = ROLES.index(role)
    wrong = []

    for route in ROUTES:
        variants = [("GET", query) for query in VARIANTS.get(route, ())]
        for method, query in [("GET", ""), ("POST", ""), *variants]:
            expected = ACCESS[route][method == "POST"]
            url, order = url_for(route, records)
            url += query
            data = post_data_for(order) if method == "POST" else {}
            if "_auth_user_id" not in client.session:  # the walk POSTs to logout too
                factories.log_in(client, user)
            events_before = Event.objects.count()
            status = getattr(client, method.lower())(url, data).status_code
            if not answered(status, expected[column]):
                wrong.append(f"{method} {url} ({route}): {status}, expected {expected[column]}")
            elif status in NOT_RAN and Event.objects.count() != events_before:
                wrong.append(f"{method} {url} ({route}): {status}, yet it wrote an event")

    assert wrong == [], "\n".join(wrong)
