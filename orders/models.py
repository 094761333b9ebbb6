"""The order aggregate's current state, and the workflow that guards it.

`Order` is the order-state read model (rebuilt from the log like every projection) *and* the
carrier of the finite state machine: commands load it, ask the FSM what may happen, and record
the outcome as an event. Nothing here saves state: the `order_state` projection writes these
rows from the events, in the same transaction as the append.
"""

from django.db import models
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from common.models import UUIDModel

MAX_LINES = 200


class OrderState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    IN_FULFILMENT = "in_fulfilment", "In fulfilment"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    ON_HOLD = "on_hold", "On hold"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATES = frozenset({OrderState.DELIVERED, OrderState.CANCELLED})
S = OrderState


def has_lines(order: "Order") -> bool:
    return order.line_count > 0


has_lines.hint = "An order needs at least one line before it can be submitted."


def _workflow(
    label: str,
    event: str,
    *,
    fields: tuple[str, ...] = (),
    style: str = "primary",
    queue: str = "",
):
    """FSM `custom` data for a workflow button: its label, event and the data it needs.

    `queue` says that orders in the source state wait for whoever holds the permission (the
    dashboard's role queues, `orders/queues.py`): "all" of them, or only those "returned" by a
    rejection (a fresh draft is its author's work in progress, nobody's queue). Side exits
    (hold, cancel) have none: they are possible, not awaited.
    """
    return {
        "workflow": True,
        "label": label,
        "event": event,
        "fields": fields,
        "style": style,
        "queue": queue,
    }


class Order(FSMModelMixin, UUIDModel):
    company = models.ForeignKey(
        "accounts.Company",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the (company, sequence) and (company, number) indexes cover it
        related_name="+",
    )
    number = models.CharField(max_length=32)
    sequence = models.PositiveIntegerField()
    state = FSMField(default=S.DRAFT, choices=S.choices, protected=True, max_length=20)
    version = models.PositiveIntegerField(default=0)
    held_from = models.CharField(max_length=20, blank=True, default="")
    line_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "sequence"], name="order_company_sequence"),
            models.UniqueConstraint(fields=["company", "number"], name="order_company_number"),
        ]
        default_permissions = ("view",)
        permissions = [
            ("place_order", "Can place orders"),
            ("change_draft_order", "Can change draft orders"),
            ("add_note_order", "Can add notes to orders"),
            ("submit_order", "Can submit orders"),
            ("approve_order", "Can approve orders"),
            ("reject_order", "Can reject orders"),
            ("fulfil_order", "Can start fulfilment, ship and deliver orders"),
            ("hold_order", "Can put orders on hold"),
            ("resume_order", "Can resume held orders"),
            ("cancel_order", "Can cancel draft and submitted orders"),
            ("cancel_approved_order", "Can cancel approved and held orders"),
            ("view_ops_desk", "Can see the system's health on the ops page"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    # --- workflow: the only place the allowed moves are declared -----------------------------

    @transition(
        field=state,
        source=S.DRAFT,
        target=S.SUBMITTED,
        conditions=[has_lines],
        permission="orders.submit_order",
        custom=_workflow("Submit", "OrderSubmitted", queue="returned"),
    )
    def submit(self):
        pass

    @transition(
        field=state,
        source=S.SUBMITTED,
        target=S.APPROVED,
        permission="orders.approve_order",
        custom=_workflow("Approve", "OrderApproved", style="success", queue="all"),
    )
    def approve(self):
        pass

    @transition(
        field=state,
        source=S.SUBMITTED,
        target=S.DRAFT,
        permission="orders.reject_order",
        custom=_workflow(
            "Reject", "OrderRejected", fields=("reason",), style="secondary", queue="all"
        ),
    )
    def reject(self):
        pass

    @transition(
        field=state,
        source=S.APPROVED,
        target=S.IN_FULFILMENT,
        permission="orders.fulfil_order",
        custom=_workflow("Start fulfilment", "OrderFulfilmentStarted", queue="all"),
    )
    def start_fulfilment(self):
        pass

    @transition(
        field=state,
        source=S.IN_FULFILMENT,
        target=S.SHIPPED,
        permission="orders.fulfil_order",
        custom=_workflow(
            "Ship", "OrderShipped", fields=("carrier", "tracking_number"), queue="all"
        ),
    )
    def ship(self):
        pass

    @transition(
        field=state,
        source=S.SHIPPED,
        target=S.DELIVERED,
        permission="orders.fulfil_order",
        custom=_workflow("Mark delivered", "OrderDelivered", style="success", queue="all"),
    )
    def deliver(self):
        pass

    @transition(
        field=state,
        source=[S.APPROVED, S.IN_FULFILMENT],
        target=S.ON_HOLD,
        permission="orders.hold_order",
        custom=_workflow("Put on hold", "OrderHeld", fields=("reason",), style="secondary"),
    )
    def hold(self):
        pass

    @transition(
        field=state,
        source=S.ON_HOLD,
        target=RETURN_VALUE(S.APPROVED, S.IN_FULFILMENT),
        permission="orders.resume_order",
        custom=_workflow("Resume", "OrderResumed", queue="all"),
    )
    def resume(self):
        """Back to the state the order was held from."""
        return self.held_from

    # One transition, two permissions: leaving draft/submitted is routine, leaving
    # approved/on_hold throws away approved work, so only a manager may do it.
    @transition(
        field=state,
        source=[S.DRAFT, S.SUBMITTED],
        target=S.CANCELLED,
        permission="orders.cancel_order",
        custom=_workflow("Cancel order", "OrderCancelled", fields=("reason",), style="danger"),
    )
    @transition(
        field=state,
        source=[S.APPROVED, S.ON_HOLD],
        target=S.CANCELLED,
        permission="orders.cancel_approved_order",
        custom=_workflow("Cancel order", "OrderCancelled", fields=("reason",), style="danger"),
    )
    def cancel(self):
        pass

    # --- changes that keep the state (target=None): still guarded by the FSM ----------------

    @transition(field=state, source=S.DRAFT, target=None, permission="orders.change_draft_order")
    def change(self):
        pass

    @transition(field=state, source="*", target=None, permission="orders.add_note_order")
    def add_note(self):
        pass
