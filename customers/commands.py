"""The only way to change a customer or a SKU.

As `orders.commands`: each command runs in one writer transaction (`store.write_transaction`),
reads the actor as committed now (`accounts.authorization.actor_now`), checks the permission,
loads the record scoped to the actor's company, compares the version the caller saw, validates
the data, then appends exactly one event; the inline projection writes the `Customer` / `Sku`
row in the same transaction. Any failure raises a `customers.exceptions` error and writes
nothing. A change that changes nothing writes nothing.

Customers and SKUs go through the same bodies (`_create_record`, `_change_record`,
`_set_active`); a `_Kind` says what differs between them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    return _create_record(CUSTOMER, actor=actor, details=details, token=token, at=at)


def change_customer(
    customer_id,
    *,
    actor,
    expected_version: int,
    details: CustomerDetails,
    at: dt.datetime | None = None,
) -> Customer:
    """Replace a customer's details (event `CustomerChanged`)."""
    return _change_record(CUSTOMER, customer_id, actor, expected_version, details, at)


def deactivate_customer(
    customer_id, *, actor, expected_version: int, at: dt.datetime | None = None
) -> Customer:
    """Deactivate a customer (event `CustomerDeactivated`): no new order picks it; its orders
    stay as they are. Deactivating an inactive customer writes nothing."""
    return _set_active(CUSTOMER, customer_id, False, actor, expected_version, at)


def reactivate_customer(
    customer_id, *, actor, expected_version: int, at: dt.datetime | None = None
) -> Customer:
    """Reactivate a deactivated customer (event `CustomerReactivated`)."""
    return _set_active(CUSTOMER, customer_id, True, actor, expected_version, at)


def _check_reference_free(company_id, details: CustomerDetails, customer_id) -> None:
    """A customer's reference, if it has one, is no other customer's in the company (any
    case): `RecordValidationError` on `reference` otherwise."""
    if not details.reference:
        return
    holder = (
        Customer.objects.filter(company_id=company_id, reference_key=search_key(details.reference))
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
    return _create_record(SKU, actor=actor, details=details, token=token, at=at)


def change_sku(
    sku_id, *, actor, expected_version: int, details: SkuDetails, at: dt.datetime | None = None
) -> Sku:
    """Replace a SKU's code, description and default price (event `SkuChanged`). Orders keep
    the lines they have: a line records its own SKU code, description and price."""
    return _change_record(SKU, sku_id, actor, expected_version, details, at)


def deactivate_sku(sku_id, *, actor, expected_version: int, at: dt.datetime | None = None) -> Sku:
    """Deactivate a SKU (event `SkuDeactivated`): the order form no longer offers it."""
    return _set_active(SKU, sku_id, False, actor, expected_version, at)


def reactivate_sku(sku_id, *, actor, expected_version: int, at: dt.datetime | None = None) -> Sku:
    return _set_active(SKU, sku_id, True, actor, expected_version, at)


def _check_code_free(company_id, details: SkuDetails, sku_id) -> None:
    """A SKU's code is no other SKU's in the company (any case, active or not)."""
    holder = (
        Sku.objects.filter(company_id=company_id, code_key=search_key(details.code))
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


# --- what customers and SKUs share ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Kind:
    """What differs between a customer's and a SKU's commands."""

    name: str  # "customer" / "sku": the permissions' suffix and the create tokens' namespace
    model: type
    stream_type: str
    id_field: str  # the payload field of its events naming the record
    details: type  # CustomerDetails / SkuDetails: what the forms edit
    clean: Callable
    check_free: Callable  # (company_id, details, record id): its unique keys are free
    not_found: type
    created: type
    changed: type
    deactivated: type
    reactivated: type
    refusals: dict  # "add" / "change" / "deactivate" -> the message of a role that may not


CUSTOMER = _Kind(
    name="customer",
    model=Customer,
    stream_type=CUSTOMER_STREAM,
    id_field="customer_id",
    details=CustomerDetails,
    clean=clean_customer,
    check_free=_check_reference_free,
    not_found=CustomerNotFound,
    created=CustomerCreated,
    changed=CustomerChanged,
    deactivated=CustomerDeactivated,
    reactivated=CustomerReactivated,
    refusals={
        "add": gettext_lazy("Your role may not add customers."),
        "change": gettext_lazy("Your role may not change customers."),
        "deactivate": gettext_lazy("Your role may not deactivate or reactivate customers."),
    },
)
SKU = _Kind(
    name="sku",
    model=Sku,
    stream_type=SKU_STREAM,
    id_field="sku_id",
    details=SkuDetails,
    clean=clean_sku,
    check_free=_check_code_free,
    not_found=SkuNotFound,
    created=SkuCreated,
    changed=SkuChanged,
    deactivated=SkuDeactivated,
    reactivated=SkuReactivated,
    refusals={
        "add": gettext_lazy("Your role may not add SKUs."),
        "change": gettext_lazy("Your role may not change SKUs."),
        "deactivate": gettext_lazy("Your role may not deactivate or reactivate SKUs."),
    },
)


def _create_record(kind: _Kind, *, actor, details, token, at):
    """The create commands' body: version 1 of a new record of `kind` (see `create_customer`)."""
    with store.write_transaction():
        actor = _permitted(actor, kind, "add")
        record_id = record_id_for(actor.company_id, kind.name, token) if token else uuid.uuid4()
        existing = kind.model.objects.filter(pk=record_id, company_id=actor.company_id).first()
        if existing is not None:
            raise RecordAlreadyCreated(existing)
        details = kind.clean(details)
        kind.check_free(actor.company_id, details, record_id)
        event = kind.created(**{kind.id_field: str(record_id)}, **dataclasses.asdict(details))
        store.append(
            record_id,
            0,
            [event],
            company=actor.company_id,
            actor=actor,
            occurred_at=at,
            stream_type=kind.stream_type,
        )
        return kind.model.objects.get(pk=record_id)


def _change_record(kind: _Kind, record_id, actor, expected_version: int, details, at):
    """The change commands' body: the record's details replaced as a whole; nothing written
    when they are the same."""
    with store.write_transaction():
        actor = _permitted(actor, kind, "change")
        record = _load(kind, record_id, actor, expected_version)
        details = kind.clean(details)
        shown = {f.name: getattr(record, f.name) for f in dataclasses.fields(kind.details)}
        if details == kind.details(**shown):
            return record
        kind.check_free(actor.company_id, details, record.pk)
        event = kind.changed(**{kind.id_field: str(record.pk)}, **dataclasses.asdict(details))
        return _record(record, event, actor, at, kind.stream_type)


def _set_active(kind: _Kind, record_id, active: bool, actor, expected_version: int, at):
    """The (de)activate commands' body: nothing written when the record already is so."""
    with store.write_transaction():
        actor = _permitted(actor, kind, "deactivate")
        record = _load(kind, record_id, actor, expected_version)
        if record.active == active:
            return record
        event = (kind.reactivated if active else kind.deactivated)(
            **{kind.id_field: str(record.pk)}
        )
        return _record(record, event, actor, at, kind.stream_type)


def _permitted(actor, kind: _Kind, verb: str):
    """The actor as committed now, if it belongs to a company and holds
    "customers.<verb>_<kind>"; `RecordNotPermitted` with the kind's refusal otherwise."""
    actor = actor_now(actor)
    if actor.company_id is None or not actor.has_perm(f"customers.{verb}_{kind.name}"):
        raise RecordNotPermitted(str(kind.refusals[verb]))
    return actor


def _load(kind: _Kind, record_id, actor, expected_version: int):
    """The record's row in the actor's company at the version the caller saw."""
    try:
        record = store.load_current(
            kind.model, record_id, company_id=actor.company_id, stream_type=kind.stream_type
        )
    except (ValidationError, ValueError, TypeError):
        record = None  # a malformed id is "no such record"
    if record is None:
        raise kind.not_found()
    if record.version != expected_version:
        raise ConcurrencyError(record.pk, expected_version, record.version)
    return record


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
