"""Parsing the history page's `as_of` (ISO 8601; Django's field parses it)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone

from accounts.form_fields import BoundedDateTimeField


class AsOfForm(forms.Form):
    as_of = BoundedDateTimeField(
        label="Show the order as it stood at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}),
        help_text="An ISO date and time, e.g. 2026-11-20T14:30, in the server's time zone "
        f"({settings.TIME_ZONE}) unless it carries an offset such as +01:00.",
    )

    def clean_as_of(self):
        value = self.cleaned_data.get("as_of")
        if value is not None and value > timezone.now() + dt.timedelta(minutes=1):
            raise forms.ValidationError("That moment is in the future; pick a past time.")
        return value
