"""Forms parse and type-check input; `orders.commands` is the authority on what is valid.

Field limits come from `orders.validation.LIMITS`, so the form and the command agree. Errors a
command raises (`OrderValidationError`) are put back on the matching form fields.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

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
