"""What the notification pages read."""

from __future__ import annotations

from . import kinds
from .models import NotificationPreference


def current_choices(user) -> dict[str, str]:
    """Every kind's choice for `user` (a stored choice, else the kind's default), by kind key."""
    stored = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "choice"))
    return {
        kind.key: stored[kind.key] if stored.get(kind.key) in kind.choices else kind.default.value
        for kind in kinds.ALL
    }
