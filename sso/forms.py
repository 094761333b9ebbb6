"""Single sign-on's forms: the e-mail address that finds a company's provider, and a Manager's
provider settings (parsed here; the rules are `sso.commands.configure_provider`'s)."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import PasswordLogin


class StartForm(forms.Form):
    email = forms.EmailField(label=_("Company e-mail address"), max_length=254)


class ProviderForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, initial="Microsoft Entra ID")
    issuer = forms.URLField(
        label=_("Issuer"),
        max_length=500,
        assume_scheme="https",
        help_text=_("e.g. https://login.microsoftonline.com/TENANT-ID/v2.0"),
    )
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted. Leave empty to keep the current one."),
    )
    email_domains = forms.CharField(
        label=_("E-mail domains"),
        max_length=2000,
        help_text=_("The company's e-mail domains, separated by commas."),
    )
    groups_claim = forms.CharField(label=_("Groups claim"), max_length=100, initial="groups")
    role_map = forms.CharField(
        label=_("Groups and roles"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line: group = role (Staff, Manager, Auditor, Ops). "
            "The first of a person's groups in this order gives their role."
        ),
    )
    password_login = forms.ChoiceField(
        label=_("Password login"), choices=PasswordLogin.choices, initial=PasswordLogin.EVERYONE
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def clean_email_domains(self):
        return [d.strip() for d in self.cleaned_data["email_domains"].split(",") if d.strip()]

    def clean_role_map(self):
        pairs = []
        for number, line in enumerate(self.cleaned_data["role_map"].splitlines(), start=1):
            if not line.strip():
                continue
            group, sep, role = line.rpartition("=")
            if not sep or not group.strip() or not role.strip():
                raise forms.ValidationError(
                    gettext("Line %(number)d: write it as group = role.") % {"number": number}
                )
            pairs.append((group.strip(), role.strip()))
        return pairs

    def settings(self) -> dict:
        """The cleaned form as `sso.commands.configure_provider`'s keywords (an empty secret
        keeps the stored one)."""
        data = dict(self.cleaned_data)
        data["client_secret"] = data["client_secret"] or None
        return data

    @classmethod
    def initial_for(cls, provider, company) -> dict:
        """What the form shows: the company's provider as stored (never its secret)."""
        if provider is None:
            return {"password_login": company.password_login}
        return {
            "name": provider.name,
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "email_domains": ", ".join(provider.domains.values_list("domain", flat=True)),
            "groups_claim": provider.groups_claim,
            "role_map": "\n".join(f"{group} = {role}" for group, role in provider.role_map),
            "password_login": company.password_login,
            "enabled": provider.enabled,
        }
