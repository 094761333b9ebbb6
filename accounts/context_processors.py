"""Navigation facts for base.html: the user's company, role and what the role may open."""

from .models import Role


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = user.role
    return {
        "nav_company": user.company,
        "nav_role": role,
        "nav_can_create_orders": role in {Role.STAFF, Role.MANAGER},
        "nav_can_read_audit_log": role in {Role.AUDITOR, Role.MANAGER, Role.OPS},
    }
