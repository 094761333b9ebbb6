"""factory_boy factories and small builders shared by all tests.

Orders are never built by hand: `place` and `advance` go through `orders.commands`, so every
test order has a real event history.
"""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in
from django.utils.text import slugify

from accounts import sign_ins
from accounts.models import Company, Role, User
from orders import commands
from orders.events import Line, OrderDetails
from orders.models import Order

PASSWORD = "correct-horse-battery-9"


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"co{n}")
    currency = "EUR"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.LazyAttributeSequence(lambda o, n: f"{o.company.slug}.user{n}")
    company = factory.SubFactory(CompanyFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=Role(extracted).value))
        self.save()


def user(role: Role | str, company: Company, username: str | None = None) -> User:
    """The company's user of that role (created once; an existing one is returned unchanged, so
    a client logged in as it stays logged in)."""
    role = Role(role)
    username = username or f"{company.slug}.{role.value.lower()}"
    existing = User.objects.filter(username=username).first()
    return existing or UserFactory(username=username, company=company, role=role)


def log_in(client, user: User) -> None:
    """Give a test client a session of `user`, as if they had signed in earlier (force_login:
    django-axes needs a request to authenticate). Not a sign-in under test, so it is not
    recorded (`UserSignedIn`): tests of sign-ins go through the login page."""
    user_logged_in.disconnect(dispatch_uid=sign_ins.DISPATCH_UID)
    try:
        client.force_login(user)
    finally:
        user_logged_in.connect(sign_ins.on_logged_in, dispatch_uid=sign_ins.DISPATCH_UID)


def lines(count: int = 2) -> list[Line]:
    return [
        Line(
            sku=f"SKU-{i}", description=f"Item {i}", quantity=i + 1, unit_price=Decimal("9.99") + i
        )
        for i in range(count)
    ]


def details(name: str = "Initech") -> OrderDetails:
    return OrderDetails(
        customer_name=name,
        customer_reference="PO-1",
        customer_email=f"buyer@{slugify(name) or 'customer'}.example",
        shipping_address="1 Main St",
    )


def place(actor: User, *, line_count: int = 2, at=None, customer: str = "Initech") -> Order:
    return commands.place_order(
        actor=actor, details=details(customer), lines=lines(line_count), at=at
    )


# The path from draft to each state, as (transition, role, data) steps.
PATHS = {
    "draft": [],
    "submitted": [("submit", Role.STAFF, {})],
    "approved": [("submit", Role.STAFF, {}), ("approve", Role.MANAGER, {})],
    "in_fulfilment": [
        ("submit", Role.STAFF, {}),
        ("approve", Role.MANAGER, {}),
        ("start_fulfilment", Role.STAFF, {}),
    ],
    "shipped": [
        ("submit", Role.STAFF, {}),
        ("approve", Role.MANAGER, {}),
        ("start_fulfilment", Role.STAFF, {}),
        ("ship", Role.STAFF, {"carrier": "DHL", "tracking_number": "TRK1"}),
    ],
    "delivered": [
        ("submit", Role.STAFF, {}),
        ("approve", Role.MANAGER, {}),
        ("start_fulfilment", Role.STAFF, {}),
        ("ship", Role.STAFF, {"carrier": "DHL", "tracking_number": "TRK1"}),
        ("deliver", Role.STAFF, {}),
    ],
    "on_hold": [
        ("submit", Role.STAFF, {}),
        ("approve", Role.MANAGER, {}),
        ("hold", Role.STAFF, {"reason": "Stock"}),
    ],
    "cancelled": [("cancel", Role.STAFF, {"reason": "Customer withdrew"})],
}


def advance(order: Order, state: str, *, staff: User, manager: User) -> Order:
    """A draft `order` brought to `state` through the real commands, by the given users."""
    actors = {Role.STAFF: staff, Role.MANAGER: manager}
    for name, role, data in PATHS[state]:
        order = commands.transition(
            order.id, name, actor=actors[role], expected_version=order.version, **data
        )
    return order


def order_in_state(state: str, company: Company, **place_kwargs) -> Order:
    """An order brought to `state` through the real commands, by the company's demo-like users."""
    staff = user(Role.STAFF, company)
    manager = user(Role.MANAGER, company)
    return advance(place(staff, **place_kwargs), state, staff=staff, manager=manager)


def send_owed_mail() -> None:
    """What the worker does with the mails requests owe (`outbox.engine.enqueue`), in this
    process: the notifier delivers the reset requests (PLATFORM), then each company's items.
    Only what is owed: no event is handled here."""
    from django.utils import timezone

    from notifications.subscriber import Notifier
    from outbox import engine

    notifier = Notifier()
    for company_id in [engine.PLATFORM, *Company.objects.values_list("pk", flat=True)]:
        engine.deliver_due(notifier, company_id, now=timezone.now)
