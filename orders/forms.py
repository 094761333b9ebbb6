"""Forms parse and type-check input; `orders.commands` is the authority on what is valid.

Field limits come from `orders.validation.LIMITS`, so the form and the command agree. Errors a
command raises (`OrderValidationError`) are put back on the matching form fields.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.utils import timezone

from .events import Line, OrderDetails
from .models import MAX_LINES
from .validation import LIMITS, MAX_QUANTITY, MAX_UNIT_PRICE


def _text(
    name: str, label: str, *, required: bool = False, textarea: bool = False, widget=None, **kwargs
):
    if textarea:
        widget = forms.Textarea(attrs={"rows": 3})
    return forms.CharField(
        label=label, required=required, max_length=LIMITS[name], widget=widget, **kwargs
    )


class VersionField(forms.IntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(min_value=0, required=True, **kwargs)


class OrderForm(forms.Form):
    customer_name = _text("customer_name", "Customer name", required=True)
    customer_reference = _text("customer_reference", "Customer reference")
    customer_email = forms.EmailField(
        label="Customer e-mail", required=False, max_length=LIMITS["customer_email"]
    )
    shipping_address = _text("shipping_address", "Shipping address", textarea=True)
    notes = _text("notes", "Notes", textarea=True)

    def details(self) -> OrderDetails:
        return OrderDetails(
            **{
                name: self.cleaned_data[name]
                for name in self.fields
                if name in OrderDetails.__dataclass_fields__
            }
        )


class EditOrderForm(OrderForm):
    version = VersionField()


SMALL = {"class": "form-control-sm"}  # crispy adds form-control after the widget's own classes


class LineForm(forms.Form):
    sku = _text("sku", "SKU", required=True, widget=forms.TextInput(attrs=SMALL))
    description = _text("description", "Description", widget=forms.TextInput(attrs=SMALL))
    quantity = forms.IntegerField(
        label="Quantity",
        min_value=1,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={**SMALL, "step": "1"}),
    )
    unit_price = forms.DecimalField(
        label="Unit price",
        min_value=Decimal("0"),
        max_value=MAX_UNIT_PRICE,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs=SMALL),
    )

    def line(self) -> Line:
        return Line(**{name: self.cleaned_data[name] for name in LineForm.base_fields})


class BaseLineFormSet(forms.BaseFormSet):
    def kept_forms(self) -> list[LineForm]:
        """Filled-in rows not marked for removal (blank extra rows are ignored)."""
        return [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]

    def lines(self) -> list[Line]:
        return [form.line() for form in self.kept_forms()]


LineFormSet = forms.formset_factory(
    LineForm,
    formset=BaseLineFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_LINES,
    validate_max=True,
    absolute_max=MAX_LINES + 50,
)


def initial_lines(lines_json: list[dict]) -> list[dict]:
    return [{**line, "unit_price": Decimal(line["unit_price"])} for line in lines_json]


def apply_command_errors(errors: dict[str, list[str]], form: forms.Form, formset) -> None:
    """Put a command's validation errors on the form fields they belong to."""
    for key, messages in errors.items():
        parts = key.split(".")
        for message in messages:
            if parts[0] == "lines" and len(parts) == 3:
                index = int(parts[1])
                target = formset.kept_forms()
                if index < len(target):
                    target[index].add_error(
                        parts[2] if parts[2] in target[index].fields else None, message
                    )
                    continue
            if parts[0] in form.fields:
                form.add_error(parts[0], message)
            else:
                form.add_error(None, message)


class TransitionForm(forms.Form):
    """The data a workflow action needs: the page's version, and reason/carrier/tracking."""

    version = VersionField()

    FIELDS = {
        "reason": lambda: _text("reason", "Reason", required=True, textarea=True),
        "carrier": lambda: _text("carrier", "Carrier", required=True),
        "tracking_number": lambda: _text("tracking_number", "Tracking number", required=True),
    }

    def __init__(self, *args, needs: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        for name in needs:
            self.fields[name] = self.FIELDS[name]()
        self.needs = needs

    def data_fields(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.needs}


class NoteForm(forms.Form):
    version = VersionField()
    text = _text("text", "Note", required=True, textarea=True)


class OrderFilterForm(forms.Form):
    """The base form of `filters.OrderFilter` (django-filter adds a field per filter).

    `page` is parsed here, so a bad value is a form error, but it is no control of the filter
    form: the helper's layout leaves it out (a changed filter starts again at page 1).
    """

    page = forms.IntegerField(min_value=1, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # a GET form
        # Errors are listed above the table, which htmx swaps; the form itself stays put.
        self.helper.form_show_errors = False
        self.helper.layout = Layout(
            "state", "stuck", "placed_after", "placed_before", "q", "total_min", "total_max", "sort"
        )

    def clean(self):
        data = super().clean()
        after, before = data.get("placed_after"), data.get("placed_before")
        if after and before and after > before:
            self.add_error("placed_before", "This date must not be before “placed on or after”.")
        low, high = data.get("total_min"), data.get("total_max")
        if low is not None and high is not None and low > high:
            self.add_error("total_max", "The maximum total must not be below the minimum.")
        return data


class DateTimeLocalInput(forms.DateTimeInput):
    """`<input type="datetime-local" step="1">`: the browser's picker takes no offset, so a
    typed value keeps its first 19 characters (YYYY-MM-DDTHH:MM:SS)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__({"step": "1", **(attrs or {})}, format="%Y-%m-%dT%H:%M:%S")

    def format_value(self, value):
        if isinstance(value, str):
            return value[:19]
        return super().format_value(value)


class AsOfForm(forms.Form):
    """The history page's moment, not in the future: an ISO date and time (Django's field parses
    it, e.g. 2026-11-20T14:30) in the site's TIME_ZONE unless it carries an offset (+01:00)."""

    as_of = forms.DateTimeField(
        label="Show the order as it stood at", required=False, widget=DateTimeLocalInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.form_show_errors = False  # shown in the history body, which htmx swaps
        self.helper.wrapper_class = "col-auto"

    def full_clean(self):
        super().full_clean()
        if "as_of" in self.errors:  # point the input at the message in the history body
            self.fields["as_of"].widget.attrs["aria-describedby"] = "as-of-error"

    def clean_as_of(self):
        value = self.cleaned_data.get("as_of")
        if value is not None and value > timezone.now() + dt.timedelta(minutes=1):
            raise forms.ValidationError("That moment is in the future; pick a past time.")
        return value
