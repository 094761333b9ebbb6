"""The customer and SKU forms. Limits come from `customers.validation.LIMITS`, so the form and
the command agree; the commands stay the authority (their errors go back on these fields)."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from common.form_fields import POSITIVE_INT_MAX, AmountField, BoundedIntegerField, TextField

from .events import CUSTOMER_FIELDS
from .validation import LIMITS, MAX_UNIT_PRICE, CustomerDetails, SkuDetails


def _text(name: str, label, *, required: bool = False, textarea: bool = False):
    widget = forms.Textarea(attrs={"rows": 3}) if textarea else None
    return TextField(label=label, required=required, max_length=LIMITS[name], widget=widget)


class VersionField(BoundedIntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(min_value=0, max_value=POSITIVE_INT_MAX, required=True, **kwargs)


class CustomerForm(forms.Form):
    name = _text("name", _("Name"), required=True)
    reference = _text("reference", _("Reference (customer number)"))
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=LIMITS["email"])
    billing_address = _text("billing_address", _("Billing address"), textarea=True)
    shipping_address = _text("shipping_address", _("Shipping address"), textarea=True)
    notes = _text("notes", _("Notes"), textarea=True)

    def details(self) -> CustomerDetails:
        return CustomerDetails(**{name: self.cleaned_data[name] for name in CUSTOMER_FIELDS})


class NewCustomerForm(CustomerForm):
    """The create form's token, chosen when it is shown: the same form sent twice finds the
    customer the first one made."""

    token = forms.UUIDField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)


class EditCustomerForm(CustomerForm):
    version = VersionField()


class SkuForm(forms.Form):
    code = _text("code", _("Code"), required=True)
    description = _text("description", _("Description"))
    unit_price = AmountField(
        label=_("Default unit price"), max_value=MAX_UNIT_PRICE, required=False
    )

    def details(self) -> SkuDetails:
        data = self.cleaned_data
        return SkuDetails(
            code=data["code"], description=data["description"], unit_price=data["unit_price"]
        )


class NewSkuForm(SkuForm):
    token = forms.UUIDField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)


class EditSkuForm(SkuForm):
    version = VersionField()


class VersionForm(forms.Form):
    """A deactivate or reactivate button: the version the page showed."""

    version = VersionField()


# The lists' page sizes: a page's time and size stay bounded whatever is asked.
PAGE_SIZE = 50


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    page = BoundedIntegerField(min_value=1, required=False)
    inactive = forms.BooleanField(label=_("Show deactivated"), required=False)
