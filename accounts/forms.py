"""The team page's forms. They parse input; the rules (unique username, last Manager, who may
act) are the commands' (`accounts/commands.py`), whose errors are put back on the form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Role


class AddUserForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Your company's prefix (e.g. acme.) is added in front if you leave it out."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), help_text=_("The set-password link goes here."))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Who uses it, e.g. web shop. The log signs its actions so."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        initial=Role.STAFF,
        help_text=_("The key may do what this role may."),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


def apply_errors(form: forms.Form, errors: dict[str, list[str]]) -> None:
    """Put a command's `InvalidAccessChange.errors` on the form (unknown fields: the form's)."""
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
