"""The Django admin is for platform superusers only.

Company users may hold `is_staff` and model permissions (for example `events.view_event`), but
the admin is not company-scoped: it would show them every company's events and payloads. So the
site itself admits superusers only (Django's documented way to replace the default site:
an AdminConfig whose `default_site` names ours; `admin.site` and `@admin.register` stay as
they are).
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class PlatformAdminSite(admin.AdminSite):
    site_header = "Ledgerline platform administration"

    def has_permission(self, request) -> bool:
        """Only active superusers (platform operators, who belong to no company) get in."""
        return request.user.is_active and request.user.is_superuser


class PlatformAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.PlatformAdminSite"
