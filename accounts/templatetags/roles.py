"""`role_label`: a user's role or roles as users read them, in the active language ("Staff" ->
"Mitarbeiter", "Ops, Staff" -> "Betrieb, Mitarbeiter" in German)."""

from django import template

from accounts.models import roles_label

register = template.Library()


@register.filter
def role_label(roles) -> str:
    return roles_label(str(roles)) if roles else ""
