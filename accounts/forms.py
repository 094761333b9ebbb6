"""The team page's forms. They parse input; the rules (unique username, last Manager, who may
act) are the commands' (`accounts/commands.py`), whose errors are put back on the form."""

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Role, roles_label


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
    """A team member's role. `current` is what the member has now (`User.role`): one built-in
    role is selected among the choices; anything else (two roles, a group of the company's own,
    none) comes first, selected and in the user's language, so the page never shows a role the
    member does not have. Choosing it changes nothing (the command asks for a role)."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if current in Role.values:
            self.initial["role"] = current
        else:
            shown = roles_label(current) or _("No role")
            self.fields["role"].choices = [("", shown), *Role.choices]
            self.initial["role"] = ""


def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone this machine knows, by name ("Europe/Berlin"), without the legacy
    aliases that are not Area/Location names (they stay valid when typed in a command)."""
    names = sorted(
        z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/")
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


class LocalePreferencesForm(forms.Form):
    """ "My settings": the user's language and time zone; blank = the browser's language and
    the company's zone (`accounts.commands.set_locale_preferences` checks and stores them)."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args, company_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            ("", _("The browser's language")),
            *settings.LANGUAGES,
        ]
        self.fields["time_zone"].choices = [
            ("", _("The company's time zone (%(zone)s)") % {"zone": company_zone or "UTC"}),
            *time_zone_choices(),
        ]


class CompanyTimeZoneForm(forms.Form):
    """The company's time zone on the company controls page (a Manager's)."""

    time_zone = forms.ChoiceField(
        label=_("Company time zone"),
        help_text=_(
            "Times are shown, days counted and the daily digest sent in this zone, unless a "
            "user chose their own. Recorded times do not change."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
