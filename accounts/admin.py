"""The platform admin (superusers only: `admin_site`) shows companies and users but offers no way
to change who has access (issue #32): every such change is an event with its actor, and the
admin's forms would write rows without one. Access changes go through the commands
(`accounts.commands`: the team page, `manage.py create_company`, `issue_password_link`,
`create_api_key`), which append the event. So here: no adding, changing or deleting companies
or company users (view only, password change included), and a platform operator's own
company field is read-only; the roles (groups) and their permissions are shown only. Platform
operators are created with `manage.py createsuperuser`.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group

from .models import Company, User


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency", "password_login"]

    def has_add_permission(self, request) -> bool:
        return False  # `manage.py create_company` (event CompanyCreated)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "company", "is_active", "is_staff"]
    list_filter = ["company", "groups", "is_active"]
    list_select_related = ["company"]
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Tenancy", {"fields": ["company"]}))
    readonly_fields = ["company", "last_login", "date_joined"]

    def has_add_permission(self, request) -> bool:
        return False  # company users: the team page; operators: `createsuperuser`

    def has_change_permission(self, request, obj=None) -> bool:
        """Only a platform operator's own row (no company) changes here; a company user's
        groups, active flag, permissions, password are changed by the commands, with events."""
        return obj is None or obj.company_id is None

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # an event-less removal of access (and the log's actors keep their rows)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """A role's permissions decide what every member may do: shown, not changed here (a data
    migration changes a built-in role's grants, as `orders/permissions.py` says)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
