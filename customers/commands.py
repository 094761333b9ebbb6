"""The only way to change a customer or a SKU.

As `orders.commands`: each command runs in one writer transaction (`store.write_transaction`),
reads the actor as committed now (`accounts.authorization.actor_now`), checks the permission,
loads the record scoped to the actor's company, compares the version the caller saw, validates
the data, then appends exactly one event; the inline projection writes the `Customer` / `Sku`
row in the same transaction. Any failure raises a `customers.exceptions` error and writes
nothing. A change that changes nothing writes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.authorization import actor_now
from common.typed_input import search_key
from events import store

from .events import (
    CUSTOMER_STREAM,
    SKU_STREAM,
    CustomerChanged,
    CustomerCreated,
    CustomerDeactivated,
    CustomerReactivated,
    SkuChanged,
    SkuCreated,
    SkuDeactivated,
    SkuReactivated,
)
from .exceptions import (
    ConcurrencyError,
    CustomerNotFound,
    RecordAlreadyCreated,
    RecordNotPermitted,
    RecordValidationError,
    SkuNotFound,
)
from .models import Customer, Sku
from .validation import CustomerDetails, SkuDetails, clean_customer, clean_sku


def record_id_for(company_id, kind: str, token) -> uuid.UUID:
    """The stream id a create token makes in a company (`kind` "customer" or "sku"): a
    name-based UUID in the company's namespace, as `orders.commands.order_id_for`, so a
    repeated create is recognised and no token names another stream. Opaque: no name, e-mail
    or code is in it."""
    return uuid.uuid5(uuid.UUID(str(company_id)), f"{kind}:{token}")


# --- customers ---------------------------------------------------------------------------------


def create_customer(
    *, actor, details: CustomerDetails, token=None, at: dt.datetime | None = None
) -> Customer:
    """Create a customer (event `CustomerCreated`, version 1). `token`: the create form's id
    (None: a fresh customer); the same token again raises `RecordAlreadyCreated` with the
    customer the first one made. A reference already used in the company (any case) is a
    `RecordValidationError` on `reference`."""
    with store.write_transaction():
        actor = _permitted(actor, "customers.add_customer", _("Your role may not add customers."))
        customer_id = record_id_for(actor.company_id, "customer", token) if token else uuid.uuid4()
        existing = Customer.objects.filter(pk=customer_id, company_id=actor.company_id).first()
        if existing is not None:
            raise RecordAlreadyCreated(existing)
        details = clean_customer(details)
        _check_reference_free(actor.company_id, details.reference, customer_id)
        event = CustomerCreated(customer_id=str(customer_id), **dataclasses.asdict(details))
        store.append(
            customer_id,
            0,
            [event],
            company=actor.company_id,
            actor=actor,
            occurred_at=at,
            stream_type=CUSTOMER_STREAM,
        )
        return Customer.objects.get(pk=customer_id)


def change_customer(
    customer_id,
    *,
    actor,
    expected_version: int,
    details: CustomerDetails,
    at: dt.datetime | None = None,
) -> Customer:
    """Replace a customer's details (event `CustomerChanged`)."""
    with store.write_transaction():
        actor = _permitted(
            actor, "customers.change_customer", _("Your role may not change customers.")
        )
        customer = _load(Customer, customer_id, actor, expected_version, CustomerNotFound)
        details = clean_customer(details)
        if details == _customer_details(customer):
            return customer
        _check_reference_free(actor.company_id, details.reference, customer.pk)
        event = CustomerChanged(customer_id=str(customer.pk), **dataclasses.asdict(details))
        return _record(customer, event, actor, at, CUSTOMER_STREAM)


def deactivate_customer(
    customer_id, *, actor, expected_version: int, at: dt.datetime | None = None
) -> Customer:
    """Deactivate a customer (event `CustomerDeactivated`): no new order picks it; its orders
    stay as they are. Deactivating an inactive customer writes nothing."""
    return _set_active(
        Customer, customer_id, False, actor, expected_version, at, CustomerDeactivated
    )


def reactivate_customer(
    customer_id, *, actor, expected_version: int, at: dt.datetime | None = None
) -> Customer:
    """Reactivate a deactivated customer (event `CustomerReactivated`)."""
    return _set_active(
        Customer, customer_id, True, actor, expected_version, at, CustomerReactivated
    )


def _customer_details(customer: Customer) -> CustomerDetails:
    return CustomerDetails(
        **{f.name: getattr(customer, f.name) for f in dataclasses.fields(CustomerDetails)}
    )


def _check_reference_free(company_id, reference: str, customer_id) -> None:
    if not reference:
        return
    holder = (
        Customer.objects.filter(company_id=company_id, reference_key=search_key(reference))
        .exclude(pk=customer_id)
        .first()
    )
    if holder is not None:
        raise RecordValidationError(
            {
                "reference": [
                    _("The reference %(reference)s is already used by another customer.")
                    % {"reference": holder.reference}
                ]
            }
        )


# --- SKUs ----------------------------------------------------------------------------------------


def create_sku(*, actor, details: SkuDetails, token=None, at: dt.datetime | None = None) -> Sku:
    """Create a SKU (event `SkuCreated`). Its code must be free in the company in any case
    (an inactive SKU's too: reactivate that one instead): `RecordValidationError` on `code`."""
    with store.write_transaction():
        actor = _permitted(actor, "customers.add_sku", _("Your role may not add SKUs."))
        sku_id = record_id_for(actor.company_id, "sku", token) if token else uuid.uuid4()
        existing = Sku.objects.filter(pk=sku_id, company_id=actor.company_id).first()
        if existing is not None:
            raise RecordAlreadyCreated(existing)
        details = clean_sku(details)
        _check_code_free(actor.company_id, details.code, sku_id)
        event = SkuCreated(sku_id=str(sku_id), **dataclasses.asdict(details))
        store.append(
            sku_id,
            0,
            [event],
            company=actor.company_id,
            actor=actor,
            occurred_at=at,
            stream_type=SKU_STREAM,
        )
        return Sku.objects.get(pk=sku_id)


def change_sku(
    sku_id, *, actor, expected_version: int, details: SkuDetails, at: dt.datetime | None = None
) -> Sku:
    """Replace a SKU's code, description and default price (event `SkuChanged`). Orders keep
    the lines they have: a line records its own SKU code, description and price."""
    with store.write_transaction():
        actor = _permitted(actor, "customers.change_sku", _("Your role may not change SKUs."))
        sku = _load(Sku, sku_id, actor, expected_version, SkuNotFound)
        details = clean_sku(details)
        if details == SkuDetails(
            code=sku.code, description=sku.description, unit_price=sku.unit_price
        ):
            return sku
        _check_code_free(actor.company_id, details.code, sku.pk)
        event = SkuChanged(sku_id=str(sku.pk), **dataclasses.asdict(details))
        return _record(sku, event, actor, at, SKU_STREAM)


def deactivate_sku(sku_id, *, actor, expected_version: int, at: dt.datetime | None = None) -> Sku:
    """Deactivate a SKU (event `SkuDeactivated`): the order form no longer offers it."""
    return _set_active(Sku, sku_id, False, actor, expected_version, at, SkuDeactivated)


def reactivate_sku(sku_id, *, actor, expected_version: int, at: dt.datetime | None = None) -> Sku:
    return _set_active(Sku, sku_id, True, actor, expected_version, at, SkuReactivated)


def _check_code_free(company_id, code: str, sku_id) -> None:
    holder = (
        Sku.objects.filter(company_id=company_id, code_key=search_key(code))
        .exclude(pk=sku_id)
        .first()
    )
    if holder is not None:
        message = (
            _("The code %(code)s is already used by another SKU.")
            if holder.active
            else _("The code %(code)s belongs to a deactivated SKU: reactivate that one.")
        )
        raise RecordValidationError({"code": [message % {"code": holder.code}]})


# --- internals -----------------------------------------------------------------------------------

_DEACTIVATE = {Customer: "customers.deactivate_customer", Sku: "customers.deactivate_sku"}
_STREAM = {Customer: CUSTOMER_STREAM, Sku: SKU_STREAM}
_NOT_FOUND = {Customer: CustomerNotFound, Sku: SkuNotFound}
_ID_FIELD = {Customer: "customer_id", Sku: "sku_id"}


def _permitted(actor, permission: str, refusal: str):
    """The actor as committed now, if it belongs to a company and holds `permission`."""
    actor = actor_now(actor)
    if actor.company_id is None or not actor.has_perm(permission):
        raise RecordNotPermitted(refusal)
    return actor


def _load(model, record_id, actor, expected_version: int, not_found):
    """The record's row in the actor's company at the version the caller saw."""
    try:
        record = store.load_current(
            model, record_id, company_id=actor.company_id, stream_type=_STREAM[model]
        )
    except (ValidationError, ValueError, TypeError):
        record = None  # a malformed id is "no such record"
    if record is None:
        raise not_found()
    if record.version != expected_version:
        raise ConcurrencyError(record.pk, expected_version, record.version)
    return record


def _set_active(model, record_id, active: bool, actor, expected_version, at, event_class):
    with store.write_transaction():
        refusal = (
            _("Your role may not deactivate or reactivate customers.")
            if model is Customer
            else _("Your role may not deactivate or reactivate SKUs.")
        )
        actor = _permitted(actor, _DEACTIVATE[model], refusal)
        record = _load(model, record_id, actor, expected_version, _NOT_FOUND[model])
        if record.active == active:
            return record
        event = event_class(**{_ID_FIELD[model]: str(record.pk)})
        return _record(record, event, actor, at, _STREAM[model])


def _record(record, event, actor, at, stream_type: str):
    store.append(
        record.pk,
        record.version,
        [event],
        company=actor.company_id,
        actor=actor,
        occurred_at=at,
        stream_type=stream_type,
        version_checked=True,
    )
    return type(record).objects.get(pk=record.pk)
