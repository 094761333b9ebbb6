"""Errors onto forms, written once: a command's errors put back on the fields they name, and
the errors of hidden fields said where a person can read them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

HIDDEN_FIELD_ERROR = _(
    "This page was out of date or its form was changed before it was sent, so nothing was "
    "saved. Reload the page and try again."
)


def apply_errors(form: forms.Form, errors: dict[str, list[str]], *, formset=None) -> None:
    """Put a command's errors ({field: [message]}, as `DomainError.errors` carry them) on
    `form`: a key naming one of its fields goes to that field, any other to the form itself.
    With `formset`, a key "lines.<i>.<field>" goes to the i-th row the formset keeps
    (`kept_forms()`, the rows the command was given)."""
    for key, messages in errors.items():
        parts = key.split(".")
        for message in messages:
            if formset is not None and len(parts) == 3 and parts[1].isdigit():
                rows = formset.kept_forms()
                index = int(parts[1])
                if parts[0] == formset.prefix and index < len(rows):
                    row = rows[index]
                    row.add_error(parts[2] if parts[2] in row.fields else None, message)
                    continue
            form.add_error(key if key in form.fields else None, message)


class HiddenErrorsShown:
    """A form mixin: a person can neither see nor correct a hidden field (an order's version,
    the new order's id, the ticked orders), and crispy shows no hidden field's error. So when
    one is invalid the form also carries `HIDDEN_FIELD_ERROR` as its own error, which pages
    show (QA: a 400/422 with no visible text). A form that saves nothing (a filter's page
    cursor) says its own `hidden_error`."""

    hidden_error = HIDDEN_FIELD_ERROR

    def full_clean(self):
        super().full_clean()
        if self._errors and any(field.name in self._errors for field in self.hidden_fields()):
            self.add_error(None, self.hidden_error)
