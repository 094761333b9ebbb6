"""The audit log's filter form."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms

from accounts.form_fields import BoundedDateField, BoundedIntegerField

from .registry import registered_types


class AuditFilterForm(forms.Form):
    """The audit log's filters (all optional) and its page cursor `before` (a position)."""

    event_type = forms.ChoiceField(required=False, label="Event type")
    actor = forms.CharField(required=False, max_length=150, label="Actor (username)")
    order = forms.CharField(required=False, max_length=32, label="Order number")
    occurred_after = BoundedDateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    occurred_before = BoundedDateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    before = BoundedIntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # a GET form
        self.helper.wrapper_class = "col-sm-6 col-md-auto"
        # `before` is the keyset cursor of the pages' links, not a control: a changed filter
        # starts again at the newest event.
        self.helper.layout = Layout(
            "event_type", "actor", "order", "occurred_after", "occurred_before"
        )
        self.fields["event_type"].choices = [("", "Any")] + [
            (name, name) for name in sorted(registered_types())
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("occurred_after"), data.get("occurred_before")
        if start and end and start > end:
            self.add_error("occurred_before", "“To” must not be before “From”.")
        return data
