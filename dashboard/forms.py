"""The dashboard's period (issue #19 §5): ?period=7|30|90|365|all, or ?from=…&to=… (dates)."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from common.form_fields import BoundedDateField, IsoDateInput

PERIOD_CHOICES = [
    ("", _("The dates below")),  # shown when From/To name the period (issue #29 §5)
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("365", _("Last 365 days")),
    ("all", _("All time")),
]
DEFAULT_PERIOD = "30"


def _date(label: str) -> BoundedDateField:
    return BoundedDateField(label=label, required=False, widget=IsoDateInput)


class PeriodForm(forms.Form):
    """`period` (days back from today, or "all"), or an explicit `from`/`to` (both inclusive;
    either may be left out: from the first order / up to today). Dates win over `period`."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    from_ = _date(_("From"))
    to = _date(_("To"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the field is from_, its parameter `from`.
        self.fields["from"] = self.fields.pop("from_")
        self.fields["to"] = self.fields.pop("to")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.wrapper_class = "col-auto"
        self.helper.form_show_errors = True

    @classmethod
    def for_query(cls, query) -> PeriodForm:
        """The form for the dashboard's query string, bound so that its period selector always
        shows the period the figures are for: the default period when the query names
        none (it showed "Last 7 days" over 30 days' figures), "the dates below" for From/To."""
        data = query.copy()
        if not any(data.get(name) for name in ("period", "from", "to")):
            data["period"] = DEFAULT_PERIOD
        elif data.get("from") or data.get("to"):
            data["period"] = ""
        return cls(data)

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        # Any span in the date fields' range is fine: the chart's bar grows with the span
        # (`selectors.bucket_for`), so the page stays the same size.
        if start and end and start > end:
            self.add_error("to", _("This date must not be before “From”."))
        return data
