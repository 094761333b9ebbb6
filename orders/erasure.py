"""Erasing a customer's personal data (GDPR Art. 17): on request, and after the company's
retention period (docs/privacy.md).

Whose data: today an order's personal fields are sealed under the order's own subject
("order:<order id>"; "customer:<id>" once its details name a customer record). A person is
found by their e-mail address, compared trimmed and case-insensitively, across the company's
orders (the order list's read model); an order without an address is erased on its own, from
its page. Erasing destroys the keys of every subject found (events.erasure) and records one
`ErasureRecorded`; the read models show "[erased]" at once (orders.projectors), and the
mails and digest lines still owed for those orders lose the name (`scrub_owed_messages`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from accounts.authorization import actor_now
from common.typed_input import search_key
from customers.exceptions import CustomerNotFound
from customers.models import Customer
from events import erasure, keystore, store
from events.sealing import ERASED, MARKERS
from outbox import engine
from outbox.models import OutboxItem
from projections.models import OrderSummary

from . import policy
from .exceptions import ActionNotPermitted, OrderNotFound, OrderValidationError
from .models import FINAL_STATES

REASON_MAX = 500
PERMISSION = "orders.erase_personal_data"


@dataclasses.dataclass(frozen=True)
class Erased:
    """What `erase_customer` did: the recorded event and the orders it reached."""

    event: store.RecordedEvent
    orders: list[uuid.UUID]
    customers: list[uuid.UUID] = dataclasses.field(default_factory=list)

    @property
    def keys_destroyed(self) -> int:
        return self.event.data.keys_destroyed


def normalised_email(address: str) -> str:
    return (address or "").strip().lower()


@dataclasses.dataclass(frozen=True)
class Person:
    """One person's records in a company: their orders and customer records (stream ids)."""

    orders: list[uuid.UUID]
    customers: list[uuid.UUID]

    @property
    def subjects(self) -> list[str]:
        """The data subjects whose keys seal these records' personal fields."""
        return [f"order:{i}" for i in self.orders] + [f"customer:{i}" for i in self.customers]

    @property
    def streams(self) -> list[uuid.UUID]:
        return [*self.orders, *self.customers]


def find_person(company_id, *, email: str = "", order_id=None, customer_id="") -> Person:
    """Everything of one person in the company: the customer record `customer_id`, the order
    `order_id` (alone when it names neither an address nor a customer), and every order and
    customer record with the same e-mail address (trimmed, any case) or customer. Raises
    OrderNotFound / CustomerNotFound for an order / customer not in the company."""
    orders = OrderSummary.objects.filter(company_id=company_id)
    customers = Customer.objects.filter(company_id=company_id)
    emails = {normalised_email(email)} - {""}
    customer_ids, order_ids = set(), set()
    if customer_id:
        try:
            row = customers.filter(pk=uuid.UUID(str(customer_id))).values_list("id", "email")
            row = row.first()
        except ValueError:
            row = None
        if row is None:
            raise CustomerNotFound()  # another company's customer too: a 404
        customer_ids.add(row[0])
        emails.add(normalised_email(row[1]))
    if order_id is not None:
        row = orders.filter(pk=order_id).values_list("id", "customer_email", "customer_id")
        row = row.first()
        if row is None:
            raise OrderNotFound()
        order_ids.add(row[0])
        emails.add(normalised_email(row[1]))
        if row[2] is not None:
            customer_ids.add(row[2])
    emails -= {"", *(normalised_email(marker) for marker in MARKERS)}
    if emails:
        keys = [search_key(address) for address in emails]
        for found_id, address in customers.filter(email_key__in=keys).values_list("id", "email"):
            customer_ids.add(found_id)
            emails.add(normalised_email(address))
    wanted = Q(customer_id__in=customer_ids) if customer_ids else Q()
    for address in emails - {""}:
        wanted |= Q(customer_email__iexact=address)
    if wanted:
        order_ids |= set(orders.filter(wanted).values_list("id", flat=True))
    return Person(sorted(order_ids), sorted(customer_ids))


def clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise OrderValidationError({"reason": [gettext("Say why the data is erased.")]})
    if len(reason) > REASON_MAX:
        raise OrderValidationError(
            {
                "reason": [
                    gettext("The reason is longer than %(max)d characters.") % {"max": REASON_MAX}
                ]
            }
        )
    return reason


def erase_customer(
    *,
    company_id,
    reason: str,
    actor=None,
    email: str = "",
    order_id=None,
    customer_id: str = "",
    kind: str = "request",
) -> Erased:
    """Erase one person's personal data in the company: every order of theirs (by `email`,
    `order_id` and its address, or `customer_id`). `actor`: the user who asked (a Manager with
    `orders.erase_personal_data`, checked inside the write transaction), or None for the
    system (the command line, the retention sweep). Raises `OrderValidationError` without a
    reason or when nothing is found, `ActionNotPermitted`, `OrderNotFound` for an order id of
    another company. The freed bytes are scrubbed once it commits (`keystore.scrub`)."""
    reason = clean_reason(reason)
    with store.write_transaction():
        if actor is not None:
            actor = actor_now(actor)  # its permissions as committed now
            if actor.company_id != uuid.UUID(str(company_id)) or not actor.has_perm(PERMISSION):
                raise ActionNotPermitted(gettext("Your role may not erase personal data."))
        person = find_person(company_id, email=email, order_id=order_id, customer_id=customer_id)
        if not person.streams:
            raise OrderValidationError(
                {"email": [gettext("No order or customer of this company has that address.")]}
            )
        recorded = erasure.erase_subjects(
            company_id=company_id,
            subjects=person.subjects,
            streams=person.streams,
            reason=reason,
            kind=kind,
            actor=actor,
        )
        scrub_owed_messages(company_id, person.orders)
        transaction.on_commit(keystore.scrub)
    return Erased(recorded, person.orders, person.customers)


def scrub_owed_messages(company_id, order_ids) -> int:
    """Replace the customer's name in the mails owed and sent for these orders (outbox items
    keep what a mail said) by the erased marker. Returns how many were changed."""
    ids = [uuid.UUID(str(i)) for i in order_ids]
    changed = 0
    items = OutboxItem.objects.filter(company_id=company_id, stream_id__in=ids)
    for item in items.only("id", "data"):
        if item.data.get("customer") not in (None, "", *MARKERS):
            item.data["customer"] = ERASED
            OutboxItem.objects.filter(pk=item.pk).update(data=item.data)
            changed += 1
    for scrub in erasure.scrubbers():
        changed += scrub(company_id, ids)
    return changed


# --- retention ---------------------------------------------------------------------------------


def expired_people(company_id, now: dt.datetime) -> list[Person]:
    """The company's people (`find_person`: orders by e-mail address and customer record; an
    order with neither alone) whose every order is closed (delivered or cancelled), the last
    more than the company's retention period before `now`, and whose data is not erased yet.
    A customer record no order names counts from its last change: it is kept as long as an
    order would be (QA after issue #30: such records were never erased), unless an order of
    the same person (by its e-mail address) is still open or closed too recently."""
    days = policy.policy_in_force(company_id).settings.retention_days
    if not days:
        return []
    cutoff = now - dt.timedelta(days=days)
    rows = OrderSummary.objects.filter(company_id=company_id).values_list(
        "id", "state", "state_since", "customer_name"
    )
    closed, seen = {}, set()
    for order_id, state, since, name in rows.iterator():
        closed[order_id] = state in FINAL_STATES and since < cutoff
        if name in MARKERS:  # erased already (or its key lost): nothing to look up
            seen.add(order_id)
    expired, seen_customers = [], set()

    def add_if_expired(person: Person) -> None:
        seen.update(person.orders)
        seen_customers.update(person.customers)
        if all(closed.get(other) for other in person.orders) and keystore.live_subjects(
            company_id, person.subjects
        ):
            expired.append(person)

    for order_id, is_closed in closed.items():
        if is_closed and order_id not in seen:
            add_if_expired(find_person(company_id, order_id=order_id))
    named = OrderSummary.objects.filter(company_id=company_id, customer_id__isnull=False)
    without_orders = (
        Customer.objects.filter(company_id=company_id, changed_at__lt=cutoff)
        .exclude(pk__in=named.values("customer_id"))
        .exclude(name__in=MARKERS)  # erased already (or its key lost), as orders above
        .values_list("id", flat=True)
    )
    for customer_id in without_orders.iterator():
        if customer_id not in seen_customers:
            add_if_expired(find_person(company_id, customer_id=str(customer_id)))
    return expired


def erase_expired(company_id, now: dt.datetime) -> int:
    """Erase, each with its own `ErasureRecorded` (reason "retention"), every person
    `expired_people` finds. Returns how many."""
    done = 0
    for person in expired_people(company_id, now):
        erase_customer(
            company_id=company_id,
            order_id=person.orders[0] if person.orders else None,
            customer_id="" if person.orders else str(person.customers[0]),
            reason="retention",
            kind="retention",
        )
        done += 1
    return done


class RetentionSweep(engine.Subscriber):
    """The worker's daily retention sweep: once per company and day, erases the people whose
    orders closed longer ago than the company's retention period. The day's outbox item
    ("retention:<date>") is the record that it ran (the ops desk lists it)."""

    name = "retention"
    event_types = frozenset()

    def tick_due(self, company_id, now) -> bool:
        if not policy.policy_in_force(company_id).settings.retention_days:
            return False
        key = f"retention:{now.date().isoformat()}"
        return not OutboxItem.objects.filter(subscriber=self.name, key=key).exists()

    def tick(self, company_id, now, outbox) -> None:
        erased = erase_expired(company_id, now)
        outbox.add(
            f"retention:{now.date().isoformat()}",
            {"erased": erased},
            summary=f"Retention sweep: {erased} erased",
        )

    def deliver(self, item) -> None:
        """Nothing to send: the item is the record of the day's sweep."""
