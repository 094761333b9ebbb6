"""The order permissions: which each built-in role holds, and which each action asks for.

Views, navigation and commands ask for permissions, never for a role: a role is just the group
that holds them, so granting a permission to a group (or a user) opens the page, shows its link
and lets the command run, and a new group with write permissions can write.

What the built-in roles hold is data, changed like any data: by a data migration
(`orders/0002_role_permissions` granted this table; a migration keeps its own frozen copy) or by
an administrator. `grant_role_permissions` only puts back a built-in group that is missing (a
fresh database, the test runner's flushes); it never takes away what was granted since.
"""

from functools import cache

from accounts.models import Role

STAFF = [
    "view_order",
    "place_order",
    "change_draft_order",
    "add_note_order",
    "submit_order",
    "fulfil_order",
    "hold_order",
    "cancel_order",
    "approve_small_order",  # only up to the company's Staff limit, if it sets one
    "amend_order",
    # customers.*: Staff take orders, so they look up, add and correct customers (issue #30)
    "view_customer",
    "add_customer",
    "change_customer",
    "view_sku",
]
MANAGER = [
    *STAFF,
    # the price list (SKUs, default prices) and deactivating records are a Manager's
    "add_sku",
    "change_sku",
    "deactivate_customer",
    "deactivate_sku",
    "reopen_order",
    "manage_controls",
    "erase_personal_data",  # orders/erasure.py (granted by orders/0007)
    "approve_order",
    "reject_order",
    "resume_order",
    "cancel_approved_order",
    "view_audit_log",  # audit.view_audit_log: the /audit/ page (moved there by audit/0002)
    "manage_team",  # accounts.manage_team: the /team/ page (granted by accounts/0005)
    "import_orders",  # the import upload page (granted by orders/0008)
]
# The apps whose permissions the table names (by codename): the audit page's is `audit`'s.
GRANTED_APPS = ("orders", "accounts", "audit", "customers")
ROLE_PERMISSIONS = {
    Role.STAFF: STAFF,
    Role.MANAGER: MANAGER,
    Role.AUDITOR: ["view_order", "view_audit_log", "view_customer", "view_sku"],
    Role.OPS: ["view_order", "view_audit_log", "view_ops_desk"],
}


def grant_role_permissions(sender=None, using="default", **kwargs) -> None:
    """post_migrate handler: each built-in role group exists; one created here gets this table's
    permissions. An existing group keeps the permissions it holds.

    The permissions of apps after `orders` in INSTALLED_APPS (`audit.view_audit_log`) are made
    here first: auth's own handler makes each app's when that app's signal is sent."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    existing = set(Group.objects.using(using).values_list("name", flat=True))
    if all(role.value in existing for role in ROLE_PERMISSIONS):
        return
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for role, codenames in ROLE_PERMISSIONS.items():
        group, created = Group.objects.using(using).get_or_create(name=role.value)
        if created:
            group.permissions.set(
                Permission.objects.using(using).filter(
                    content_type__app_label__in=GRANTED_APPS, codename__in=codenames
                )
            )


@cache
def write_permissions() -> frozenset[str]:
    """Every permission that changes orders, as "orders.<codename>": placing one, and each FSM
    transition's (workflow actions, edits, notes; `cancel` has two, by source state), read from
    `Order`'s FSM declaration."""
    from .models import Order

    transitions = Order().get_all_state_transitions()
    found = {"orders.place_order"}
    for move in transitions:
        # A policy's permission (approve) is a callable naming the permissions it reads.
        found.update(getattr(move.permission, "permissions", None) or [move.permission])
    return frozenset(found)


def may_change_orders(user) -> bool:
    """Whether `user` holds a permission that changes orders; without one its role is read-only."""
    return any(user.has_perm(permission) for permission in write_permissions())
