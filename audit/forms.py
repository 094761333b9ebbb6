"""The audit log's filter form."""

from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.form_errors import HiddenErrorsShown
from common.form_fields import BoundedDateField, BoundedIntegerField
from events.registry import label_choices


class AuditFilterForm(HiddenErrorsShown, forms.Form):
    """The audit log's filters (all optional) and its page cursors `before` / `after`
    (company event numbers). `actor` and `order` match part of a username (the actor's, or
    for a sign-in the username tried) or an order number; `area` narrows to orders, access
    changes (`controls.ACCESS`) or sign-ins and lockouts; the page offers the company's
    usernames as a pick-list (`<datalist id="actor-options">`)."""

    hidden_error = _(
        "The page link was changed or is out of date: start again from the first page."
    )

    event_type = forms.ChoiceField(required=False, label=_("Event type"))
    area = forms.ChoiceField(
        required=False,
        label=_("Area"),
        choices=[
            ("", _("Any")),
            ("orders", _("Orders")),
            ("access", _("Access changes")),
            ("sign_ins", _("Sign-ins and lockouts")),
        ],
    )
    actor = forms.CharField(
        required=False,
        max_length=150,
        label=_("Actor (part of a username)"),
        widget=forms.TextInput(attrs={"list": "actor-options", "autocomplete": "off"}),
    )
    order = forms.CharField(required=False, max_length=32, label=_("Order number (or part)"))
    occurred_after = BoundedDateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    occurred_before = BoundedDateField(
        required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
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
            "event_type", "area", "actor", "order", "occurred_after", "occurred_before"
        )
        self.fields["event_type"].choices = [("", _("Any")), *label_choices()]

    def clean(self):
        data = super().clean()
        start, end = data.get("occurred_after"), data.get("occurred_before")
        if start and end and start > end:
            self.add_error("occurred_before", "“To” must not be before “From”.")
        if data.get("before") and data.get("after") is not None:
            self.add_error(None, "A page is either before or after an event, not both.")
        return data


class ControlsPeriodForm(forms.Form):
    """The controls report's period: from `start` to `end` inclusive (dates, site time zone)."""

    start = BoundedDateField(required=False, label=_("From"))
    end = BoundedDateField(required=False, label=_("To"))
    format = forms.ChoiceField(required=False, choices=[("", "page"), ("csv", "CSV")])
    DEFAULT_DAYS = 90

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start of the period is after its end."))
        return data

    @classmethod
    def default_period(cls) -> tuple[dt.datetime, dt.datetime]:
        today = timezone.localdate()
        return cls._bounds(today - dt.timedelta(days=cls.DEFAULT_DAYS), today)

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes: the start day's midnight to the day after the end."""
        data = getattr(self, "cleaned_data", {})
        start, end = data.get("start"), data.get("end")
        today = timezone.localdate()
        return self._bounds(start or (today - dt.timedelta(days=self.DEFAULT_DAYS)), end or today)

    @staticmethod
    def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
        midnight = dt.time()
        return (
            timezone.make_aware(dt.datetime.combine(start, midnight)),
            timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), midnight)),
        )
