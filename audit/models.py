"""The audit page's permission, declared where the page lives.

`AuditLog` has no table: it holds the `audit.view_audit_log` permission (the page reads the
event log, `events.Event`, through `audit/selectors.py`).
"""

from django.db import models


class AuditLog(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_audit_log", "Can read the company's event log")]

    def __str__(self) -> str:
        return "the company's event log"
