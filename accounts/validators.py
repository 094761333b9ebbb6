"""Password complexity beyond Django's built-ins."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class CharacterClassValidator:
    """Require letters and at least one digit or symbol, so a long word alone is not enough."""

    def validate(self, password: str, user=None) -> None:
        has_letter = any(c.isalpha() for c in password)
        has_other = any(not c.isalpha() for c in password)
        if not (has_letter and has_other):
            raise ValidationError(
                _("The password must contain letters and at least one digit or symbol."),
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("Your password must contain letters and at least one digit or symbol.")
