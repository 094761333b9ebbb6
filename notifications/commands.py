"""A user's own notification choices. Not events: they are the user's settings, not facts about
orders or access, and nobody else may change them."""

from __future__ import annotations

from django.db import transaction

from . import kinds
from .models import NotificationPreference


def set_preferences(*, user, choices: dict[str, str]) -> None:
    """Store `user`'s choice for each kind in `choices` that it is offered and that offers the
    choice (the form has checked both; anything else, and fixed kinds, are left out)."""
    with transaction.atomic():
        for key, choice in choices.items():
            kind = kinds.BY_KEY.get(key)
            if kind is None or not kinds.offered(kind, user) or choice not in kind.choices:
                continue
            if len(kind.choices) == 1:
                continue  # nothing to choose (access changes are always sent)
            NotificationPreference.objects.update_or_create(
                user=user, kind=key, defaults={"choice": choice}
            )
