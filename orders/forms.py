"""Forms parse and type-check input; `orders.commands` is the authority on what is valid.

Field limits come from `orders.validation.LIMITS`, so the form and the command agree. Errors a
command raises (`OrderValidationError`) are put back on the matching form fields.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from accounts.form_fields import POSITIVE_INT_MAX, BoundedIntegerField

from .events import Line, OrderDetails
from .models import MAX_LINES
from .validation import LIMITS, MAX_QUANTITY, MAX_UNIT_PRICE


def _text(name: str, label: str, *, required: bool = False, textarea: bool = False, **kwargs):
    widget = forms.Textarea(attrs={"rows": 3}) if textarea else None
    return forms.CharField(
        label=label, required=required, max_length=LIMITS[name], widget=widget, **kwargs
    )


class VersionField(BoundedIntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        # An order's version is a PositiveIntegerField.
        super().__init__(min_value=0, max_value=POSITIVE_INT_MAX, required=True, **kwargs)


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


class NewOrderForm(OrderForm):
    """The create form carries the new order's id, chosen when the form is shown: submitting the
    same form twice (a retry, a resubmit from history) finds the order the first one made."""

    order_id = forms.UUIDField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)


class EditOrderForm(OrderForm):
    version = VersionField()


class LineForm(forms.Form):
    sku = _text("sku", "SKU", required=True)
    description = _text("description", "Description")
    quantity = forms.IntegerField(label="Quantity", min_value=1, max_value=MAX_QUANTITY)
    unit_price = forms.DecimalField(
        label="Unit price",
        min_value=Decimal("0"),
        max_value=MAX_UNIT_PRICE,
        max_digits=12,
        decimal_places=2,
    )

    def line(self) -> Line:
        return Line(**{name: self.cleaned_data[name] for name in LineForm.base_fields})


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        """A management form that does not describe the posted rows (a negative count, rows
        past TOTAL_FORMS) is an error, not silently dropped lines."""
        super().clean()
        counts = self.management_form.cleaned_data
        total, initial = counts.get("TOTAL_FORMS", 0), counts.get("INITIAL_FORMS", 0)
        row = re.compile(rf"{re.escape(self.prefix)}-(\d+)-")
        posted = {int(m.group(1)) for key in self.data if (m := row.match(key))}
        if total < 0 or initial < 0 or initial > total or any(i >= total for i in posted):
            raise ValidationError(
                "The form's line count does not match the lines sent. "
                "Reload the page and enter the lines again.",
                code="management_form",
            )

    def kept_forms(self) -> list[LineForm]:
        """Filled-in rows not marked for removal (blank extra rows are ignored)."""
        return [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]

    def lines(self) -> list[Line]:
        return [form.line() for form in self.kept_forms()]

    def preview_total(self) -> str:
        """The form's total preview as the page first shows it ("46.00", no separators, as
        static/js/app.js writes it): quantity times unit price over the rows that would be saved
        (bound: rows not removed; unbound: the initial lines), so it is right without JS too."""
        if self.is_bound:
            self.is_valid()  # cleaned_data for each row (cached by the formset)
            rows = [form.cleaned_data for form in self.kept_forms()]
        else:
            rows = self.initial or []
        total = sum(
            (
                Decimal(row["unit_price"]) * row["quantity"]
                for row in rows
                if row.get("quantity") is not None and row.get("unit_price") is not None
            ),
            Decimal(0),
        )
        return f"{total:.2f}"


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
