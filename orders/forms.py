"""Forms parse and type-check input; `orders.commands` is the authority on what is valid.

Field limits come from `orders.validation.LIMITS`, so the form and the command agree. Errors a
command raises (`OrderValidationError`) are put back on the matching form fields.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

from babel.numbers import get_decimal_symbol
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.form_errors import HIDDEN_FIELD_ERROR, HiddenErrorsShown
from common.form_fields import (
    POSITIVE_INT_MAX,
    AmountField,
    AmountInput,
    BoundedDateTimeField,
    BoundedIntegerField,
    TextField,
    reader_locale,
)
from common.typed_input import search_key
from customers.models import Customer
from customers.selectors import active_skus_by_code, find_customer
from customers.validation import CustomerDetails

from .events import Line, OrderDetails
from .models import MAX_LINES
from .policy_words import REASON_ACTION_WORDS
from .validation import LIMITS, MAX_ORDER_TOTAL, MAX_QUANTITY, MAX_UNIT_PRICE


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


class OrderForm(HiddenErrorsShown, forms.Form):
    """An order's details. `customer` picks one of the company's customers: with the page's
    script, the auto-complete (`customers:lookup`) sets `customer_id` and fills the details
    below; without it, the typed text is looked up on saving (an exact reference, e-mail or
    name: `customers.selectors.find_customer`) and fills the details left blank. The details
    stay the order's own and editable. `save_customer` (for those who may add customers)
    adds the typed details as a new customer, picked for this order."""

    customer = forms.CharField(
        label=_("Customer from your list"),
        required=False,
        max_length=200,
        help_text=_("Type a name, reference or e-mail address to pick a customer."),
        widget=forms.TextInput(
            attrs={
                "hx-get": reverse_lazy("customers:lookup"),
                "hx-trigger": "input changed delay:200ms, search",
                "hx-target": "#customer-matches",
                "hx-swap": "innerHTML",
                "data-customer-search": "",
                "role": "combobox",
                "aria-expanded": "false",
                "aria-controls": "customer-matches",
                "aria-autocomplete": "list",
            }
        ),
    )
    customer_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    customer_name = _text("customer_name", _("Customer name"))
    customer_reference = _text("customer_reference", _("Customer reference"))
    customer_email = forms.EmailField(
        label=_("Customer e-mail"), required=False, max_length=LIMITS["customer_email"]
    )
    shipping_address = _text("shipping_address", _("Shipping address"), textarea=True)
    notes = _text("notes", _("Notes"), textarea=True)
    save_customer = forms.BooleanField(
        required=False, label=_("Also add these details to the customer list")
    )

    def __init__(self, *args, company_id=None, may_add_customer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.company_id = company_id
        self.picked = None  # the customer the order is for, once cleaned
        if not may_add_customer:
            del self.fields["save_customer"]
        picked = self.initial.get("customer_id")
        if picked and not self.is_bound and company_id is not None:
            self._show_customer(picked)

    def _show_customer(self, customer_id) -> None:
        """Start with the customer `customer_id` picked (a blank form: its details too)."""
        try:
            found = Customer.objects.filter(pk=customer_id, company_id=self.company_id).first()
        except ValidationError:  # not a UUID: nothing picked
            found = None
        if found is None:
            self.initial.pop("customer_id", None)
            return
        self.initial["customer"] = found.name
        if not self.initial.get("customer_name"):
            self.initial.update(
                customer_name=found.name,
                customer_reference=found.reference,
                customer_email=found.email,
                shipping_address=found.shipping_address,
            )

    def clean(self):
        data = super().clean()
        if self.company_id is not None:
            self._pick_customer(data)
        if not data.get("customer_name") and "customer_name" not in self.errors:
            self.add_error("customer_name", _("Customer name is required."))
        if data.get("save_customer") and self.picked is not None:
            self.add_error(
                "save_customer",
                _("This order is for a customer of your list already: untick the box."),
            )
        return data

    def _pick_customer(self, data) -> None:
        """Set `self.picked` and fill the blank details from it (see the class docstring).

        The text decides: empty, no customer (a hidden id left from the page does not
        count); the customer `customer_id` names if the text still names it (the script
        writes its name there); else the customer the text names exactly."""
        text = data.get("customer") or ""
        if not text:
            data["customer_id"] = None
            return
        if data.get("customer_id"):
            picked = Customer.objects.filter(
                pk=data["customer_id"], company_id=self.company_id
            ).first()
            key = search_key(text)
            if picked is not None and key in (
                picked.name_key,
                picked.reference_key,
                picked.email_key,
            ):
                self.picked = picked
        if self.picked is None:
            self.picked, count = find_customer(self.company_id, data["customer"])
            if self.picked is None:
                self.add_error(
                    "customer",
                    _("Several customers match “%(text)s”: type the reference or e-mail.")
                    % {"text": data["customer"]}
                    if count > 1
                    else _(
                        "No active customer has the reference, e-mail or name “%(text)s”; "
                        "leave it empty for an order without one."
                    )
                    % {"text": data["customer"]},
                )
        if self.picked is None:
            return
        data["customer_id"] = self.picked.pk
        filled = {
            "customer_name": self.picked.name,
            "customer_reference": self.picked.reference,
            "customer_email": self.picked.email,
            "shipping_address": self.picked.shipping_address,
        }
        for name, value in filled.items():
            if not data.get(name) and name not in self.errors:
                data[name] = value

    def details(self) -> OrderDetails:
        data = self.cleaned_data
        return OrderDetails(
            **{
                name: data[name]
                for name in self.fields
                if name in OrderDetails.__dataclass_fields__ and name != "customer_id"
            },
            customer_id=str(data["customer_id"]) if data.get("customer_id") else "",
        )

    def new_customer(self) -> CustomerDetails | None:
        """The customer to add with the order (the box ticked), from the order's details."""
        data = self.cleaned_data
        if not data.get("save_customer"):
            return None
        return CustomerDetails(
            name=data["customer_name"],
            reference=data["customer_reference"],
            email=data["customer_email"],
            shipping_address=data["shipping_address"],
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


class PolicyForm(HiddenErrorsShown, forms.Form):
    """The company's controls (`orders.events.PolicySettings`) on the settings page; `version`
    is the policy version the page showed."""

    version = VersionField()
    four_eyes = forms.BooleanField(
        required=False,
        label=_(
            "Four eyes: whoever placed an order or last changed its contents cannot approve it"
        ),
    )
    staff_limit = AmountField(
        required=False, max_value=MAX_ORDER_TOTAL,
        label=_("Staff may approve orders up to (leave empty: only Managers approve)"),
    )  # fmt: skip
    auto_approve = forms.BooleanField(
        required=False, label=_("Approve orders up to the Staff limit automatically on submit")
    )
    two_manager_limit = AmountField(
        required=False, max_value=MAX_ORDER_TOTAL,
        label=_("Orders above this need two different Managers (leave empty: never)"),
    )  # fmt: skip
    reasons_required = forms.MultipleChoiceField(
        required=False,
        label=_("Actions that need a reason"),
        choices=list(REASON_ACTION_WORDS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    reopen_days = forms.IntegerField(
        min_value=0,
        max_value=3650,
        label=_("A delivery may be reopened within (days)"),
        help_text=_("0: a delivery cannot be reopened."),
    )
    retention_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=36500,
        label=_("Erase a customer's personal data this many days after their last order closed"),
        help_text=_("Leave empty to keep it until it is erased on request (docs/privacy.md)."),
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
            retention_days=data["retention_days"],
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


SKU_SEARCH = {
    "hx-get": reverse_lazy("customers:sku_lookup"),
    "hx-trigger": "input changed delay:200ms",
    "hx-target": "#sku-matches",
    "hx-swap": "innerHTML",
    "data-sku-search": "",
}


class LineForm(forms.Form):
    """One line. The SKU field asks the auto-complete (`customers:sku_lookup`), which fills the
    description and unit price with the script; without it, a known SKU's code fills a blank
    description and price on saving (`BaseLineFormSet.clean`). Both stay editable."""

    sku = _text(
        "sku", _("SKU"), required=True, widget=forms.TextInput(attrs={**SMALL, **SKU_SEARCH})
    )
    description = _text("description", _("Description"), widget=forms.TextInput(attrs=SMALL))
    quantity = BoundedIntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={**SMALL, "step": "1"}),
    )
    unit_price = AmountField(
        label=_("Unit price"),
        max_value=MAX_UNIT_PRICE,
        required=False,  # a known SKU's default price fills it (BaseLineFormSet.clean)
        widget=AmountInput(attrs=SMALL),
    )

    def line(self) -> Line:
        return Line(**{name: self.cleaned_data[name] for name in LineForm.base_fields})


class BaseLineFormSet(forms.BaseFormSet):
    # Django's words ("ManagementForm data is missing or has been tampered with... file a bug
    # report") are for developers; the person gets what to do.
    default_error_messages = {"missing_management_form": HIDDEN_FIELD_ERROR}

    def __init__(self, *args, company_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.company_id = company_id

    def clean(self):
        """A management form that does not describe the posted rows (a negative count, rows
        past TOTAL_FORMS) is an error, not silently dropped lines. A line whose code is one
        of the company's active SKUs gets its blank description and unit price from it; a
        line still without a price is an error on it."""
        super().clean()
        self._fill_from_skus()
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

    def _fill_from_skus(self) -> None:
        rows = [
            f
            for f in self.forms
            if f.cleaned_data and not f.errors and not self._should_delete_form(f)
        ]
        known = {}
        if self.company_id is not None:
            known = active_skus_by_code(self.company_id, [f.cleaned_data["sku"] for f in rows])
        for form in rows:
            data = form.cleaned_data
            sku = known.get(search_key(data["sku"]))
            if sku is not None and not data.get("description"):
                data["description"] = sku.description
            if data.get("unit_price") is None:
                if sku is not None and sku.unit_price is not None:
                    data["unit_price"] = sku.unit_price
                else:
                    form.add_error("unit_price", _("Enter a unit price."))

    def kept_forms(self) -> list[LineForm]:
        """Filled-in rows not marked for removal (blank extra rows are ignored)."""
        return [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]

    def lines(self) -> list[Line]:
        return [form.line() for form in self.kept_forms()]

    def preview_total(self) -> str:
        """The form's total preview as the page first shows it ("46.00", "46,00" in German: the
        reader's decimal mark, no separators, as static/js/app.js writes it): quantity times
        unit price over the rows that would be saved
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
        return f"{total:.2f}".replace(".", get_decimal_symbol(reader_locale()))


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


class TransitionForm(HiddenErrorsShown, forms.Form):
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


class BulkActionForm(HiddenErrorsShown, forms.Form):
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


class SavedViewForm(forms.Form):
    """Save the list's query (`query`, a query string) as a named view (orders.saved_views)."""

    name = forms.CharField(label=_("Name of this view"), max_length=60)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class ImportUploadForm(forms.Form):
    """The import upload page: the two CSV files of `manage.py import_orders` (README) and the
    zone of times written without an offset."""

    orders = forms.FileField(label=_("Orders file (ORDERS.csv)"))
    lines = forms.FileField(label=_("Lines file (LINES.csv)"))
    time_zone = forms.CharField(
        label=_("Time zone of times without an offset"), max_length=64, initial="UTC"
    )


class NoteForm(HiddenErrorsShown, forms.Form):
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


class AsOfForm(HiddenErrorsShown, forms.Form):
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


class ErasureForm(forms.Form):
    """The Manager's erasure of a customer's personal data (orders/erasure.py): a reason."""

    reason = forms.CharField(
        label=_("Why (recorded in the log for auditors)"),
        help_text=_("E.g. the request's reference. Do not write the person's name or contact."),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
