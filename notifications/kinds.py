"""What a user can be told, and what each user hears by default.

Each kind is data: its label and explanation for the "My settings" page, the events that raise
it, who may choose it (a permission), the choices offered and the default. Defaults follow the
role through its permissions: whoever may approve hears at once about orders waiting for them and
gets the stuck-orders digest; whoever places orders hears at once about rejections and holds,
and about deliveries and cancellations only if they ask.
"""

from __future__ import annotations

import dataclasses

from django.db import models
from django.utils.translation import gettext_lazy as _


class Choice(models.TextChoices):
    NOW = "now", _("At once")
    DIGEST = "digest", _("In the daily digest")
    NEVER = "never", _("Never")


@dataclasses.dataclass(frozen=True)
class Kind:
    key: str
    label: str
    help: str
    permission: str | None  # who is offered it (None: everyone)
    choices: tuple[Choice, ...]
    default: Choice


APPROVAL = Kind(
    "approval",
    _("An order waits for your approval"),
    _("Someone submitted an order you may approve."),
    "orders.approve_order",
    (Choice.NOW, Choice.DIGEST, Choice.NEVER),
    Choice.NOW,
)
REJECTED_HELD = Kind(
    "rejected_held",
    _("Your order was rejected or put on hold"),
    _("An order you placed was rejected or held, with the reason."),
    "orders.place_order",
    (Choice.NOW, Choice.DIGEST, Choice.NEVER),
    Choice.NOW,
)
DELIVERED_CANCELLED = Kind(
    "delivered_cancelled",
    _("Your order was delivered or cancelled"),
    _("An order you placed reached its end."),
    "orders.place_order",
    (Choice.NOW, Choice.DIGEST, Choice.NEVER),
    Choice.NEVER,
)
STUCK = Kind(
    "stuck",
    _("Stuck orders"),
    _("Orders that have not moved for a while, once a day."),
    "orders.approve_order",
    (Choice.DIGEST, Choice.NEVER),
    Choice.DIGEST,
)
ACCESS = Kind(
    "access",
    _("Changes to your access"),
    _("Your role changed or your account was deactivated. Always sent: it is about your security."),
    None,
    (Choice.NOW,),
    Choice.NOW,
)
ALL = (APPROVAL, REJECTED_HELD, DELIVERED_CANCELLED, STUCK, ACCESS)
BY_KEY = {kind.key: kind for kind in ALL}

# The events each kind follows, and which kind an event raises.
EVENT_KINDS = {
    "OrderSubmitted": APPROVAL,
    "OrderAmended": APPROVAL,  # an approved order amended: back to submitted (issue #28)
    "OrderRejected": REJECTED_HELD,
    "OrderHeld": REJECTED_HELD,
    "OrderDelivered": DELIVERED_CANCELLED,
    "OrderCancelled": DELIVERED_CANCELLED,
    "UserRoleChanged": ACCESS,
    "UserDeactivated": ACCESS,
}


def offered(kind: Kind, user) -> bool:
    return kind.permission is None or user.has_perm(kind.permission)
