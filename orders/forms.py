"""Forms parse and type-check input; `orders.commands` is the authority on what is valid.

Field limits come from `orders.validation.LIMITS`, so the form and the command agree. Errors a
command raises (`OrderValidationError`) are put back on the matching form fields.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from common.form_fields import (
    POSITIVE_INT_MAX,
    AmountField,
    BoundedDateTimeField,
    BoundedIntegerField,
    TextField,
)

from .events import Line, OrderDetails
from .models import MAX_LINES
from .validation import LIMITS, MAX_QUANTITY, MAX_UNIT_PRICE


def _text(
    name: str, label: str, *, required: bool = False, textarea: bool = False, widget=None, **kwargs
):
    if textarea:
        widget = forms.Textarea(attrs={"rows": 3})
    return TextField(
        label=label, required=required, max_length=LIMITS[name], widget=widget, **kwargs
    )


class VersionField(BoundedIntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        # An order's version is a PositiveIntegerField.
        super().__init__(min_value=0, max_value=POSITIVE_INT_MAX, required=True, **kwargs)


class OrderForm(forms.Form):
    customer_name = _text("customer_name", _("Customer name"), required=True)
    customer_reference = _text("customer_reference", _("Customer reference"))
    customer_email = forms.EmailField(
        label=_("Customer e-mail"), required=False, max_length=LIMITS["customer_email"]
    )
    shipping_address = _text("shipping_address", _("Shipping address"), textarea=True)
    notes = _text("notes", _("Notes"), textarea=True)

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
    # Shown (as a checkbox) only when the same user placed an identical order moments ago: a
    # form sent again from history (Back, then Create draft) gets a new order_id, because the
    # page is not cached, so only the content tells it apart from a wanted second order.
    create_another = forms.BooleanField(
        required=False, label=_("Create another anyway"), widget=forms.HiddenInput
    )

    def ask_to_confirm(self, existing) -> None:
        """Show the "create another" checkbox with the reason the form was not saved."""
        self.fields["create_another"].widget = forms.CheckboxInput()
        self.add_error(
            "create_another",
            f"You placed {existing.number} for {existing.customer_name} with the same lines "
            "moments ago (this form may have been sent again after going Back). Nothing new "
            "was created. Tick the box to create another order anyway.",
        )


class EditOrderForm(OrderForm):
    version = VersionField()


class AmendOrderForm(EditOrderForm):
    """A correction of an approved order: the new contents and why (required, recorded)."""

    reason = _text("reason", _("Reason for the amendment"), required=True, textarea=True)


class PolicyForm(forms.Form):
    """The company's controls (`orders.events.PolicySettings`) on the settings page; `version`
    is the policy version the page showed."""

    version = VersionField()
    four_eyes = forms.BooleanField(
        required=False,
        label=_(
            "Four eyes: whoever placed an order or last changed its contents cannot approve it"
        ),
    )
    staff_limit = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=12, decimal_places=2,
        label=_("Staff may approve orders up to (leave empty: only Managers approve)"),
    )  # fmt: skip
    auto_approve = forms.BooleanField(
        required=False, label=_("Approve orders up to the Staff limit automatically on submit")
    )
    two_manager_limit = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=12, decimal_places=2,
        label=_("Orders above this need two different Managers (leave empty: never)"),
    )  # fmt: skip
    reasons_required = forms.MultipleChoiceField(
        required=False,
        label=_("Actions that need a reason"),
        choices=[
            ("reject", pgettext_lazy("workflow action", "Reject")),
            ("hold", pgettext_lazy("workflow action", "Put on hold")),
            ("cancel", pgettext_lazy("workflow action", "Cancel order")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    reopen_days = forms.IntegerField(
        min_value=0,
        max_value=3650,
        label=_("A delivery may be reopened within (days)"),
        help_text=_("0: a delivery cannot be reopened."),
    )

    def settings(self):
        from .events import PolicySettings

        data = self.cleaned_data
        return PolicySettings(
            four_eyes=data["four_eyes"],
            staff_limit=data["staff_limit"],
            auto_approve=data["auto_approve"],
            two_manager_limit=data["two_manager_limit"],
            reasons_required=tuple(data["reasons_required"]),
            reopen_days=data["reopen_days"],
        )

    @classmethod
    def for_policy(cls, policy) -> PolicyForm:
        settings = policy.settings
        return cls(
            initial={
                "version": policy.version,
                **{name: getattr(settings, name) for name in cls.base_fields if name != "version"},
            }
        )


SMALL = {"class": "form-control-sm"}  # crispy adds form-control after the widget's own classes


class LineForm(forms.Form):
    sku = _text("sku", _("SKU"), required=True, widget=forms.TextInput(attrs=SMALL))
    description = _text("description", _("Description"), widget=forms.TextInput(attrs=SMALL))
    quantity = BoundedIntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={**SMALL, "step": "1"}),
    )
    unit_price = AmountField(
        label=_("Unit price"), max_value=MAX_UNIT_PRICE, widget=forms.NumberInput(attrs=SMALL)
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
                _(
                    "The form's line count does not match the lines sent. "
                    "Reload the page and enter the lines again."
                ),
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
        "reason": lambda: _text("reason", _("Reason"), required=True, textarea=True),
        "carrier": lambda: _text("carrier", _("Carrier"), required=True),
        "tracking_number": lambda: _text("tracking_number", _("Tracking number"), required=True),
    }

    def __init__(self, *args, needs: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        for name in needs:
            self.fields[name] = self.FIELDS[name]()
        self.needs = needs

    def data_fields(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.needs}


class SelectedOrdersField(forms.Field):
    """The orders ticked on the list: repeated `orders=<order id>:<version the page showed>`
    values, cleaned to a list of (UUID, int), duplicates dropped; at most `max_orders`."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Select at least one order."),
        "invalid": "“%(value)s” is not an order of this list.",
        "too_many": _("Select at most %(limit)s orders at a time."),
    }

    def __init__(self, *, max_orders: int, **kwargs):
        super().__init__(**kwargs)
        self.max_orders = max_orders

    def to_python(self, value) -> list[tuple[uuid.UUID, int]]:
        values = value if isinstance(value, (list, tuple)) else ([value] if value else [])
        if len(values) > self.max_orders:
            raise ValidationError(
                self.error_messages["too_many"], "too_many", {"limit": self.max_orders}
            )
        selected = {}
        for item in values:
            order_id, _sep, version = str(item).partition(":")
            try:
                parsed = uuid.UUID(order_id), int(version)
            except ValueError:
                raise ValidationError(
                    self.error_messages["invalid"], "invalid", {"value": str(item)[:50]}
                ) from None
            if not 0 <= parsed[1] <= POSITIVE_INT_MAX:
                raise ValidationError(
                    self.error_messages["invalid"], "invalid", {"value": str(item)[:50]}
                )
            selected.setdefault(parsed[0], parsed)
        return list(selected.values())


class BulkActionForm(forms.Form):
    """One workflow action for the orders ticked on the list (issue #19 §2). `actions` are
    (name, label) of the workflow actions whose only data is a reason: one reason serves every
    order (shipping needs each order's own tracking number, so it stays per order)."""

    action = forms.ChoiceField(label=_("Action"))
    reason = _text("reason", _("Reason (for cancel, reject, hold)"), textarea=True)
    orders = SelectedOrdersField(max_orders=500)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, actions: list[tuple[str, str]], needs_reason: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = actions
        self.fields["reason"].widget.attrs["rows"] = 1
        self.needs_reason = needs_reason
        self.helper = FormHelper()
        # The <form id="bulk-form"> and its CSRF token are in the list's template: the fields'
        # markup is then a pure function of the actions and the query, and is cached.
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("run", _("Apply to the ticked orders")))
        self.helper.wrapper_class = "col-auto"
        self.helper.form_show_errors = True

    def clean(self):
        data = super().clean()
        if data.get("action") in self.needs_reason and not data.get("reason"):
            self.add_error("reason", _("This action needs a reason."))
        return data


class NoteForm(forms.Form):
    version = VersionField()
    text = _text("text", _("Note"), required=True, textarea=True)


# The list's page sizes a user may choose: a page's time and size stay bounded.
PAGE_SIZES = (25, 50, 100)


class OrderFilterForm(forms.Form):
    """The base form of `filters.OrderFilter` (django-filter adds a field per filter).

    `page` is parsed here, so a bad value is a form error, but it is no control of the filter
    form: the helper's layout leaves it out (a changed filter starts again at page 1).
    """

    page = BoundedIntegerField(min_value=1, required=False)
    per_page = forms.TypedChoiceField(
        label=_("Orders per page"),
        choices=[("", "Default")] + [(size, str(size)) for size in PAGE_SIZES],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={
            "invalid_choice": "Choose "
            + ", ".join(str(size) for size in PAGE_SIZES[:-1])
            + f" or {PAGE_SIZES[-1]} orders per page (%(value)s is not offered)."
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # a GET form
        # Errors are listed above the table, which htmx swaps; the form itself stays put.
        self.helper.form_show_errors = False
        self.helper.layout = Layout(
            "state",
            "stuck",
            "returned",
            "placed_after",
            "placed_before",
            "mine",
            "q",
            "total_min",
            "total_max",
            "sort",
            "per_page",
        )

    def clean(self):
        data = super().clean()
        after, before = data.get("placed_after"), data.get("placed_before")
        if after and before and after > before:
            self.add_error("placed_before", _("This date must not be before “placed on or after”."))
        low, high = data.get("total_min"), data.get("total_max")
        if low is not None and high is not None and low > high:
            self.add_error("total_max", _("The maximum total must not be below the minimum."))
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
    it, e.g. 2026-11-20T14:30) in the site's TIME_ZONE unless it carries an offset (+01:00);
    or `version`, one of the order's events (the rows' "as of this event" links): the order
    as it stood right after it. Not both."""

    # The stream is cut at the first event that *occurred* later (`store.read_stream(until=)`):
    # an imported order stands as it did in the old system at that moment.
    as_of = BoundedDateTimeField(
        label=_("Show the order as it stood at"),
        help_text=_(
            "Uses when each event happened, not when it was recorded (they differ for "
            "imported events)."
        ),
        required=False,
        widget=DateTimeLocalInput,
    )
    version = BoundedIntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, last_version: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if last_version is not None:  # the order's newest event
            self.fields["version"].validators.append(
                MaxValueValidator(
                    last_version,
                    ngettext(
                        "The order has %(count)d event so far.",
                        "The order has %(count)d events so far.",
                        last_version,
                    )
                    % {"count": last_version},
                )
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.form_show_errors = False  # shown in the history body, which htmx swaps
        self.helper.wrapper_class = "col-auto"
        self.helper.layout = Layout("as_of")  # `version` comes from the rows' links

    def full_clean(self):
        super().full_clean()
        if "as_of" in self.errors:  # point the input at the message in the history body
            self.fields["as_of"].widget.attrs["aria-describedby"] = "as-of-error"

    def clean_as_of(self):
        value = self.cleaned_data.get("as_of")
        if value is not None and value > timezone.now() + dt.timedelta(minutes=1):
            raise forms.ValidationError(_("That moment is in the future; pick a past time."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("as_of") and data.get("version"):
            self.add_error("as_of", _("Pick a moment or an event, not both."))
        return data
