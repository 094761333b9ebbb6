"""The only way to change an order.

Each command runs in one transaction (BEGIN IMMEDIATE on SQLite): load the order's current state
(company-scoped), check the version the caller saw, the user's permission and the FSM, validate
the data, then append exactly one event. The inline projections (including the `Order` state
row) are written by the append, in the same transaction. Any failure raises a domain error from
`orders.exceptions` and writes nothing; the caller logs a refusal where it becomes a status
(`common.exceptions.refused`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from functools import cache

from django.core.exceptions import ValidationError
from django.db import router
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext
from django.utils.translation import gettext_lazy as _
from django_fsm import State

from accounts.authorization import actor_now
from accounts.models import Company
from common.exceptions import DomainError
from common.form_fields import EARLIEST_DATE, LATEST_DATE, validate_date_in_range
from common.translatable import Translatable
from customers.commands import create_customer
from customers.exceptions import RecordNotPermitted, RecordValidationError
from customers.models import Customer
from customers.validation import CustomerDetails
from events import store
from events.exceptions import OccurredAtOutOfRange
from events.registry import DomainEvent, event_class
from projections.models import OrderSummary

from . import policy
from .aggregate import evolve
from .events import (
    REASON_ACTIONS,
    Line,
    NoteAdded,
    OrderAmended,
    OrderChanged,
    OrderDetails,
    OrderPlaced,
    PolicySettings,
)
from .exceptions import (
    ActionNotPermitted,
    ConcurrencyError,
    OrderAlreadyPlaced,
    OrderNotFound,
    OrderValidationError,
    TransitionNotAllowed,
    UnknownTransition,
)
from .models import Order, state_in_sentence
from .validation import check_order_count, clean_fields, clean_order, clean_policy


@cache
def workflow_transitions() -> dict[str, dict]:
    """name -> FSM `custom` data of every workflow transition, from the FSM definition."""
    return {
        t.name: t.custom for t in Order().get_all_state_transitions() if t.custom.get("workflow")
    }


def check_at(at: dt.datetime | None) -> None:
    """Refuse a command's `at` (when it happened: given by the import and the demo data; None
    is now) that is not an aware datetime, or whose date, as written or in UTC, is outside the
    limits the forms bound dates with and the log holds (`common.form_fields` EARLIEST_DATE..
    LATEST_DATE). Raises `OrderValidationError` ({"at": [message]}) before anything is read or
    written. (How far in the past or future history may be is the caller's rule: the import
    refuses times in the future.)"""
    if at is None:
        return
    if not isinstance(at, dt.datetime) or timezone.is_naive(at):
        problem = Translatable(
            gettext_noop("%(time)s does not say its time zone."), {"time": str(at)}
        )
    else:
        try:
            validate_date_in_range(at)  # the date as written, as the forms bound it
            store.check_occurred_at(at)  # the date in UTC, as the log holds it
            return
        except (ValidationError, OccurredAtOutOfRange):
            problem = Translatable(
                gettext_noop(
                    "%(time)s is outside the dates an order's history can have "
                    "(%(earliest)s to %(latest)s)."
                ),
                {
                    "time": at.isoformat(),
                    "earliest": EARLIEST_DATE.isoformat(),
                    "latest": LATEST_DATE.isoformat(),
                },
            )
    raise OrderValidationError({"at": [problem]})


def place_order(
    *,
    actor,
    details: OrderDetails,
    lines: Sequence[Line],
    at: dt.datetime | None = None,
    order_id: uuid.UUID | str | None = None,
    new_customer: CustomerDetails | None = None,
) -> Order:
    """Create a draft order with its lines (event `OrderPlaced`, version 1).

    `order_id` is the token chosen when the form was shown (None: a fresh order), so that a
    repeated create is recognised: `OrderAlreadyPlaced` carries the order the first one made,
    and nothing is written. The order's id is `order_id_for(company, token)`, never the token
    itself: a client cannot make an order's stream out of a user's, a company's or another
    company's id (issue #24 §1).

    `new_customer`: add this customer too (`customers.commands.create_customer`, in the same
    transaction: both or neither) and place the order for it.
    """
    check_at(at)
    with store.write_transaction():
        actor = actor_now(actor)  # decided on what is committed now, not the request's cache
        if actor.company_id is None:
            raise ActionNotPermitted(
                _("Your account belongs to no company, so it cannot place orders.")
            )
        if not actor.has_perm("orders.place_order"):
            raise ActionNotPermitted(_("Your role may not place orders."))
        order_id = order_id_for(actor.company_id, order_id) if order_id else uuid.uuid4()
        last, placed = _last_sequence_and_placed(actor.company_id, order_id)
        if placed:
            raise OrderAlreadyPlaced(Order.objects.get(pk=order_id))
        details = with_new_customer(details, new_customer, actor, at)
        details, lines = clean_order(details, lines)
        check_customer(details, actor.company_id)
        company = actor.company
        sequence = (last or 0) + 1
        check_order_count(sequence)
        event = OrderPlaced(
            number=order_number(company, sequence),
            sequence=sequence,
            currency=company.currency,
            details=details,
            lines=lines,
        )
        (recorded,) = store.append(
            order_id, 0, [event], company=company, actor=actor, occurred_at=at
        )
        return _order_after({"id": order_id, "company_id": company.pk}, recorded)


def change_order(
    order_id: uuid.UUID,
    *,
    actor,
    expected_version: int,
    details: OrderDetails,
    lines: Sequence[Line],
    at: dt.datetime | None = None,
    new_customer: CustomerDetails | None = None,
) -> Order:
    """Replace a draft's details and lines (event `OrderChanged`); `new_customer` as for
    `place_order`."""
    check_at(at)
    with store.write_transaction():
        order = _load_for(order_id, "change", actor, expected_version)
        details = with_new_customer(details, new_customer, actor, at)
        details, lines = clean_order(details, lines)
        check_customer(details, actor.company_id, order=order)
        return _record(order, OrderChanged(details=details, lines=lines), actor, at)


def add_note(
    order_id: uuid.UUID,
    *,
    actor,
    expected_version: int,
    text: str,
    at: dt.datetime | None = None,
) -> Order:
    """Attach a note to an order in any state (event `NoteAdded`)."""
    check_at(at)
    with store.write_transaction():
        order = _load_for(order_id, "add_note", actor, expected_version)
        data = clean_fields({"text": text}, ("text",))
        return _record(order, NoteAdded(**data), actor, at)


def transition(
    order_id: uuid.UUID,
    name: str,
    *,
    actor,
    expected_version: int,
    at: dt.datetime | None = None,
    **data: str,
) -> Order:
    """Move an order along the workflow: `name` is an FSM transition of `Order`."""
    check_at(at)
    with store.write_transaction():
        if name not in workflow_transitions():
            raise UnknownTransition(name)
        order = _load_for(order_id, name, actor, expected_version, at)
        return _record(order, transition_event(order, name, actor, **data), actor, at)


def amend_order(
    order_id: uuid.UUID,
    *,
    actor,
    expected_version: int,
    details: OrderDetails,
    lines: Sequence[Line],
    reason: str,
    at: dt.datetime | None = None,
) -> Order:
    """Correct an approved order that has not started fulfilment (event `OrderAmended`): its
    details and lines replaced, with the required reason; it goes back to submitted and needs
    approval again under the company's policy (whoever amends it counts as its author)."""
    check_at(at)
    with store.write_transaction():
        order = _load_for(order_id, "amend", actor, expected_version, at)
        (reason,) = clean_fields({"reason": reason}, ("reason",)).values()
        details, lines = clean_order(details, lines)
        check_customer(details, actor.company_id, order=order)
        event = OrderAmended(
            from_state=order.state,
            to_state=target_state(order, "amend"),
            reason=reason,
            details=details,
            lines=lines,
        )
        return _record(order, event, actor, at)


def change_policy(
    *, actor, expected_version: int, settings: PolicySettings, at: dt.datetime | None = None
) -> policy.Policy:
    """Record a change of the actor's company's controls (event `CompanyPolicyChanged` on the
    company's policy stream; who and when are its metadata). `expected_version` is the policy
    version the settings page showed (`ConcurrencyError` if another change came first). Raises
    `ActionNotPermitted` without `orders.manage_controls`, `OrderValidationError` for limits
    that contradict each other; a change of nothing writes nothing. Returns the policy now."""
    check_at(at)
    with store.write_transaction():
        actor = actor_now(actor)  # decided on what is committed now
        if actor.company_id is None or not actor.has_perm("orders.manage_controls"):
            raise ActionNotPermitted(_("Your role may not change the company's controls."))
        current = policy.policy_in_force(actor.company_id)
        if current.version != expected_version:
            raise ConcurrencyError(
                policy.policy_stream_id(actor.company_id), expected_version, current.version
            )
        settings = clean_policy(settings)
        event = policy.policy_event(current.settings, settings)
        if event is None:
            return current
        store.append(
            policy.policy_stream_id(actor.company_id),
            current.version,
            [event],
            company=actor.company_id,
            actor=actor,
            occurred_at=at,
            stream_type=policy.POLICY_STREAM,
        )
        return policy.policy_in_force(actor.company_id)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one order's command did in `transition_each`: `order` (the order after it) when
    done, else `error`, the refusal (`str(error)`: changed by someone else, not allowed now)."""

    order_id: uuid.UUID
    order: Order | None = None
    error: DomainError | None = None

    @property
    def done(self) -> bool:
        return self.order is not None


def transition_each(
    orders: Sequence[tuple[uuid.UUID, int]], name: str, *, actor, **data: str
) -> list[Outcome]:
    """Workflow transition `name` on each (order id, version the page showed), in the given
    order: each through `transition`, so each in its own transaction with its own version check
    and exactly one event; one order's failure is its `Outcome`, not the others'. Raises
    `UnknownTransition` for an unknown `name` (before touching any order)."""
    if name not in workflow_transitions():
        raise UnknownTransition(name)
    outcomes = []
    for order_id, version in orders:
        try:
            order = transition(order_id, name, actor=actor, expected_version=version, **data)
        except DomainError as error:
            outcomes.append(Outcome(order_id, error=error))
        else:
            outcomes.append(Outcome(order_id, order=order))
    return outcomes


def submit(order_id, **kwargs) -> Order:
    return transition(order_id, "submit", **kwargs)


def approve(order_id, **kwargs) -> Order:
    return transition(order_id, "approve", **kwargs)


def reject(order_id, *, reason: str, **kwargs) -> Order:
    return transition(order_id, "reject", reason=reason, **kwargs)


def start_fulfilment(order_id, **kwargs) -> Order:
    return transition(order_id, "start_fulfilment", **kwargs)


def ship(order_id, *, carrier: str, tracking_number: str, **kwargs) -> Order:
    return transition(order_id, "ship", carrier=carrier, tracking_number=tracking_number, **kwargs)


def deliver(order_id, **kwargs) -> Order:
    return transition(order_id, "deliver", **kwargs)


def hold(order_id, *, reason: str, **kwargs) -> Order:
    return transition(order_id, "hold", reason=reason, **kwargs)


def resume(order_id, **kwargs) -> Order:
    return transition(order_id, "resume", **kwargs)


def cancel(order_id, *, reason: str, **kwargs) -> Order:
    return transition(order_id, "cancel", reason=reason, **kwargs)


# --- the rules the commands apply (the benchmark seed applies the same ones) ----------------


def order_id_for(company_id, token) -> uuid.UUID:
    """The id of the order a create token makes in a company: a name-based UUID (RFC 9562
    version 5) in the company's namespace, so one token is one order per company, and no token
    can name a stream that exists for something else (a user, a company, another company's
    order) short of a SHA-1 preimage. `token` is a UUID or text (the importer's `import:<ref>`)."""
    return uuid.uuid5(uuid.UUID(str(company_id)), f"order:{token}")


def order_number(company, sequence: int) -> str:
    """The number an order is placed under: the company's slug and its sequence, `ACME-000042`."""
    return f"{company.slug.upper()}-{sequence:06d}"


def check_transition(order, name: str, actor) -> None:
    """Raise unless `actor` may take the FSM transition `name` on `order` now.

    In order: the transition exists from the order's state (`TransitionNotAllowed`), the actor
    holds its permission (`ActionNotPermitted`), its conditions hold (`TransitionNotAllowed`,
    with the condition's hint). `order` is an `Order`, or anything with its fields (`number`,
    `state`, `held_from`, `line_count`); `actor` anything with `has_perm`.
    """
    meta = getattr(Order, name)._django_fsm
    if not meta.has_transition(order.state):
        state = state_in_sentence(order.state)
        raise TransitionNotAllowed(
            gettext("Order %(number)s is %(state)s: it cannot be %(done)s now.")
            % {"number": order.number, "state": state, "done": _verb(name)}
        )
    if not meta.has_transition_perm(order, order.state, actor):
        permission = meta.get_transition(order.state).permission
        refusal = getattr(permission, "refusal", None)  # a policy's permission says why
        raise ActionNotPermitted(
            (refusal and refusal(order, actor))
            or gettext("Your role may not %(action)s.")
            % {"action": _verb(name, infinitive=True, it=gettext("this order"))}
        )
    for condition in meta.get_transition(order.state).conditions:
        if not condition(order):
            raise TransitionNotAllowed(
                str(getattr(condition, "hint", gettext("This action is not allowed now.")))
            )


def transition_event(order, name: str, actor, **data: str) -> DomainEvent:
    """The event the workflow transition `name` records on `order` (which `check_transition`
    allowed): `data` cleaned to the transition's fields (a reason the company's policy does not
    ask for may be left out), the target state as django-fsm computes it, and the event built by
    the transition's `record` when it records more than the move (the policy an approval
    satisfied). Raises `OrderValidationError` for bad fields. `order` as for `check_transition`
    (the benchmark seed passes its in-memory orders)."""
    spec = workflow_transitions()[name]
    optional = ()
    if name in REASON_ACTIONS and not policy.reason_required(order, name):
        optional = ("reason",)
    fields = clean_fields(data, spec["fields"], optional=optional)
    to_state = target_state(order, name)
    if spec["record"] is not None:
        return spec["record"](order, to_state, actor, **fields)
    return event_class(spec["event"])(from_state=order.state, to_state=to_state, **fields)


def target_state(order, name: str) -> str:
    """The state the workflow transition `name` takes `order` to, as django-fsm computes it: its
    declared target, or for a `RETURN_VALUE` target the method's result (`resume` returns
    `held_from`, checked against the allowed states). Call after `check_transition`."""
    transition = getattr(Order, name)._django_fsm.get_transition(order.state)
    target = transition.target
    if isinstance(target, State):
        target = target.get_state(order, transition, transition.method(order))
    return target


def with_new_customer(
    details: OrderDetails, new_customer: CustomerDetails | None, actor, at
) -> OrderDetails:
    """`details` for the customer `new_customer` once added (None: `details` as they are).
    Call inside the order command's writer transaction. The customer's refusals become the
    order's (`OrderValidationError` on the order form's fields)."""
    if new_customer is None:
        return details
    try:
        made = create_customer(actor=actor, details=new_customer, at=at)
    except RecordValidationError as error:
        raise OrderValidationError(
            {
                CUSTOMER_FIELD_ON_ORDER.get(key, key): messages
                for key, messages in error.errors.items()
            }
        ) from None
    except RecordNotPermitted as error:
        raise OrderValidationError({"save_customer": [str(error)]}) from None
    return dataclasses.replace(details, customer_id=str(made.pk))


# A customer's field -> the order form's field that gave it.
CUSTOMER_FIELD_ON_ORDER = {
    "name": "customer_name",
    "reference": "customer_reference",
    "email": "customer_email",
    "shipping_address": "shipping_address",
}


def check_customer(details: OrderDetails, company_id, *, order: Order | None = None) -> None:
    """Raise `OrderValidationError` (on `customer`) unless the order's `customer_id` is empty or
    a customer of the company, active unless `order` (a change's) had it already: a deactivated
    customer's orders stay changeable, but no order newly picks it. One query for a picked
    customer, a second only for a deactivated one."""
    if not details.customer_id:
        return
    customer = Customer.objects.filter(pk=details.customer_id, company_id=company_id).first()
    if customer is None:
        raise OrderValidationError({"customer": [_("No such customer.")]})
    if not customer.active and (order is None or details.customer_id != _customer_of(order)):
        raise OrderValidationError(
            {"customer": [_("This customer is deactivated: pick another one.")]}
        )


def _customer_of(order: Order) -> str:
    """The customer id the order's summary row records ("" for none)."""
    summary = OrderSummary.objects.filter(pk=order.pk).values_list("customer_id", flat=True)
    found = summary.first()
    return str(found) if found else ""


# --- internals ------------------------------------------------------------------------------


def _load_for(order_id, name: str, actor, expected_version: int, at=None) -> Order:
    """Load the order for `actor` and check version, FSM state, permission and conditions
    (the permission of the actor as committed now: `actor_now`, inside the writer).

    The company's policy is read (by the checks that need it) inside the caller's write
    transaction, and `at` is the clock the conditions read (`order.now`)."""
    actor = actor_now(actor)
    try:
        # None (a superuser without company) matches no order.
        # With the order: its stream's owner (for `append`) and the policy's last event.
        order = store.load_current(
            Order,
            order_id,
            company_id=actor.company_id,
            related_streams=_policy_stream_of(actor),
        )
    except (ValidationError, ValueError, TypeError):
        order = None  # a malformed id is "no such order", not a crash
    if order is None:
        raise OrderNotFound()
    if order.version != expected_version:
        raise ConcurrencyError(order.id, expected_version, order.version)
    order.now, order.actor = at or timezone.now(), actor
    check_transition(order, name, actor)
    return order


def _last_sequence_and_placed(company_id, order_id) -> tuple[int | None, bool]:
    """The company's last order sequence and whether `order_id` is already its order, in one
    statement (two indexed subqueries: the (company, sequence) index's last entry, the key)."""
    orders = Order.objects.filter(company_id=OuterRef("pk")).order_by()
    row = (
        Company.objects.filter(pk=company_id)
        .values(
            last=Subquery(orders.order_by("-sequence").values("sequence")[:1]),
            placed=Exists(orders.filter(pk=order_id)),
        )
        .get()
    )
    return row["last"], row["placed"]


def _policy_stream_of(actor) -> tuple[uuid.UUID, ...]:
    company_id = getattr(actor, "company_id", None)
    return (policy.policy_stream_id(company_id),) if company_id is not None else ()


def _record(order: Order, event, actor, at) -> Order:
    # `order` was loaded scoped to the actor's company, so that is the order's company.
    # `_load_for` compared the version under this writer transaction: append need not re-read it.
    (recorded,) = store.append(
        order.id,
        order.version,
        [event],
        company=actor.company_id,
        actor=actor,
        occurred_at=at,
        version_checked=True,
    )
    after = _order_after({name: getattr(order, name) for name in _ORDER_FIELDS}, recorded)
    if "policy" in order.__dict__:  # the policy the command judged by, read in its transaction:
        after.policy = order.policy  # the caller's answer shows the order under it, not re-read
    return after


_ORDER_FIELDS = tuple(field.attname for field in Order._meta.concrete_fields)


def _order_after(fields: dict, recorded) -> Order:
    """The order-state row as the inline projection has just written it: the same rule
    (`aggregate.evolve`) applied to the same row, so there is no need to read it back."""
    row = evolve(fields, recorded)
    using = router.db_for_write(Order)
    return Order.from_db(using, _ORDER_FIELDS, [row[name] for name in _ORDER_FIELDS])


@cache
def _declared() -> dict[str, dict]:
    """Transition name -> its FSM `custom` data (verbs, event, label...), every transition."""
    return {t.name: t.custom for t in Order().get_all_state_transitions()}


def _verb(name: str, *, infinitive: bool = False, it: str = "") -> str:
    """What messages say of the transition `name`, as its FSM declaration words it, in the
    active language: a past participle ("put on hold"), or with `infinitive` the phrase acting on
    `it` (default "it": "put this order on hold": English puts the object inside some phrases,
    German at its start, so the translation places `{it}` too)."""
    custom = _declared().get(name, {})
    if infinitive:
        it = it or pgettext("the order", "it")
        return str(custom.get("do", name + " {it}")).format(it=it)
    return str(custom.get("done", name))


def event_verb(event_type: str) -> str:
    """What an event did to the order, as a past participle ("OrderSubmitted" -> "submitted"),
    from the FSM declaration of the transition that records it, in the active language."""
    for custom in _declared().values():
        if custom.get("event") == event_type:
            return str(custom["done"])
    return gettext("placed") if event_type == "OrderPlaced" else gettext("changed")
