"""`role_label`: a role's name as users read it, in the active language ("Manager" -> "Manager",
"Staff" -> "Mitarbeiter" in German)."""

from django import template

from accounts.models import role_label as _role_label

register = template.Library()


@register.filter
def role_label(name) -> str:
    return _role_label(name) if name else ""
