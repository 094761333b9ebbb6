"""The audit log's filter form."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms

from common.form_fields import BoundedDateField, BoundedIntegerField
from events.registry import label_choices


class AuditFilterForm(forms.Form):
    """The audit log's filters (all optional) and its page cursors `before` / `after`
    (company event numbers). `actor` and `order` match part of a username or an order
    number; the page offers the company's usernames as a pick-list
    (`<datalist id="actor-options">`)."""

    event_type = forms.ChoiceField(required=False, label="Event type")
    actor = forms.CharField(
        required=False,
        max_length=150,
        label="Actor (part of a username)",
        widget=forms.TextInput(attrs={"list": "actor-options", "autocomplete": "off"}),
    )
    order = forms.CharField(required=False, max_length=32, label="Order number (or part)")
    occurred_after = BoundedDateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    occurred_before = BoundedDateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    before = BoundedIntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    after = BoundedIntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    CURSORS = ("before", "after")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # a GET form
        self.helper.wrapper_class = "col-sm-6 col-md-auto"
        # `before`/`after` are the keyset cursors of the pages' links, not controls: a changed
        # filter starts again at the newest event.
        self.helper.layout = Layout(
            "event_type", "actor", "order", "occurred_after", "occurred_before"
        )
        self.fields["event_type"].choices = [("", "Any"), *label_choices()]

    def clean(self):
        data = super().clean()
        start, end = data.get("occurred_after"), data.get("occurred_before")
        if start and end and start > end:
            self.add_error("occurred_before", "“To” must not be before “From”.")
        if data.get("before") and data.get("after") is not None:
            self.add_error(None, "A page is either before or after an event, not both.")
        return data
