"""Customers and SKUs: each row is its stream's current state, written only by the inline
projections (`customers/projectors.py`) from the events, and rebuilt from the log like every
read model. The commands read them (version, active, the uniqueness keys) inside the writers'
transaction; the pages and the order form read them through `customers/selectors.py`.

Personal data (name, e-mail, addresses, notes) is here only as the projector wrote it from the
events, so a rebuild (or a projector handling an erasure) is what blanks it.
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from common.models import UUIDModel
from projections.models import company_fk


class Customer(UUIDModel):
    """One row per customer stream (id = the stream id)."""

    company = company_fk()
    version = models.PositiveIntegerField(default=0)
    name = models.CharField(_("name"), max_length=200)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    billing_address = models.TextField(_("billing address"), blank=True)
    shipping_address = models.TextField(_("shipping address"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Keys the commands and the importer match on (`common.typed_input.search_key`): a reference
    # is unique per company in any case; e-mail and name find an existing customer.
    reference_key = models.CharField(max_length=100, blank=True)
    email_key = models.CharField(max_length=254, blank=True)
    name_key = models.CharField(max_length=200)
    # What the list's search looks in: name, reference and e-mail, case-folded, one per line.
    search_text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "reference_key"],
                condition=~Q(reference_key=""),
                name="customer_company_reference",
            )
        ]
        indexes = [
            models.Index(fields=["company", "name_key"], name="customer_co_name"),
            models.Index(fields=["company", "email_key"], name="customer_co_email"),
        ]
        default_permissions = ("view",)
        permissions = [
            ("add_customer", "Can create customers"),
            ("change_customer", "Can change customers"),
            ("deactivate_customer", "Can deactivate and reactivate customers"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.pk])


class Sku(UUIDModel):
    """One row per SKU stream (id = the stream id). Its code is unique per company in any
    case (`code_key`); a deactivated SKU keeps its code (it can be reactivated)."""

    company = company_fk()
    version = models.PositiveIntegerField(default=0)
    code = models.CharField(_("code"), max_length=64)
    code_key = models.CharField(max_length=64)
    description = models.CharField(_("description"), max_length=300, blank=True)
    # The default unit price in minor units (cents), as every amount of a read model; None: none.
    unit_price_cents = models.BigIntegerField(_("default unit price"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    search_text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "code_key"], name="sku_company_code")
        ]
        default_permissions = ("view",)
        permissions = [
            ("add_sku", "Can create SKUs"),
            ("change_sku", "Can change SKUs"),
            ("deactivate_sku", "Can deactivate and reactivate SKUs"),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        """A SKU has no page of its own: the list, searched for its code."""
        return f"{reverse('customers:sku_list')}?{urlencode({'q': self.code, 'inactive': 'on'})}"

    @property
    def unit_price(self) -> Decimal | None:
        """The default unit price as an amount (`Decimal("9.99")`), or None."""
        if self.unit_price_cents is None:
            return None
        return Decimal(self.unit_price_cents).scaleb(-2)
