"""Which permissions each role has: the current truth, re-applied after every migrate/flush.

The data migration `orders/0002_role_permissions` granted the first version of this table (a
migration keeps its own frozen copy); `grant_role_permissions` keeps the groups in line with
this table after every `migrate` and after the test runner's flushes.
"""

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
]
MANAGER = [
    *STAFF,
    "approve_order",
    "reject_order",
    "resume_order",
    "cancel_approved_order",
    "view_audit_log",
]
ROLE_PERMISSIONS = {
    Role.STAFF: STAFF,
    Role.MANAGER: MANAGER,
    Role.AUDITOR: ["view_order", "view_audit_log"],
    Role.OPS: ["view_order", "view_audit_log"],
}


def grant_role_permissions(sender=None, using="default", **kwargs) -> None:
    """post_migrate handler: the role groups exist and hold exactly their permissions."""
    from django.contrib.auth.models import Group, Permission

    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        group.permissions.set(
            Permission.objects.using(using).filter(
                content_type__app_label="orders", codename__in=codenames
            )
        )
