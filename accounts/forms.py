"""The team page's forms. They parse input; the rules (unique username, last Manager, who may
act) are the commands' (`accounts/commands.py`), whose errors are put back on the form."""

from django import forms

from .models import Role


class AddUserForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        help_text="Your company's prefix (e.g. acme.) is added in front if you leave it out.",
    )
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(label="E-mail", help_text="The set-password link goes here.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.STAFF)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Who uses it, e.g. web shop. The log signs its actions so."
    )
    role = forms.ChoiceField(
        choices=Role.choices, initial=Role.STAFF, help_text="The key may do what this role may."
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
