"""The integrations pages' forms: they parse; the rules are the commands'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.form_fields import BoundedDateTimeField, BoundedIntegerField
from events import registry


def _event_type_choices():
    return registry.label_choices()


class EndpointForm(forms.Form):
    url = forms.CharField(label=_("Address"), max_length=500, help_text=_("https://…"))
    event_types = forms.MultipleChoiceField(
        label=_("Event types"),
        choices=_event_type_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every event."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class ReplayForm(forms.Form):
    from_number = BoundedIntegerField(label=_("From event number"), min_value=1, required=False)
    since = BoundedDateTimeField(
        label=_("Or from a moment"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("from_number") is None and data.get("since") is None:
            raise forms.ValidationError(_("Give an event number or a moment to replay from."))
        return data
