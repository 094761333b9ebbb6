"""The order aggregate's current state, and the workflow that guards it.

`Order` is the order's current state *and* the carrier of the finite state machine: commands
load it, ask the FSM what may happen, and record the outcome as an event. Its row is the order's
summary row (`projections.models.OrderSummary`, the same table: one row for an order's current
state, issue #25), so it is rebuilt from the log with that projection. Nothing here saves
state: the `order_summary` projection writes the row from the events, in the same transaction
as the append.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from common.models import UUIDModel
from projections.models import OrderSummary

from . import policy

MAX_LINES = 200


class OrderState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")


FINAL_STATES = frozenset({OrderState.DELIVERED, OrderState.CANCELLED})

# A state as it reads inside a sentence ("Order ACME-000001 is %s"): English says "draft",
# German "ein Entwurf"; the labels above are for headings and badges.
STATE_IN_SENTENCE = {
    OrderState.DRAFT: pgettext_lazy("the order is …", "a draft"),
    OrderState.SUBMITTED: pgettext_lazy("the order is …", "submitted"),
    OrderState.APPROVED: pgettext_lazy("the order is …", "approved"),
    OrderState.IN_FULFILMENT: pgettext_lazy("the order is …", "in fulfilment"),
    OrderState.SHIPPED: pgettext_lazy("the order is …", "shipped"),
    OrderState.DELIVERED: pgettext_lazy("the order is …", "delivered"),
    OrderState.ON_HOLD: pgettext_lazy("the order is …", "on hold"),
    OrderState.CANCELLED: pgettext_lazy("the order is …", "cancelled"),
}


def state_in_sentence(state: str) -> str:
    """`state` as it reads after "is" in a sentence, in the active language."""
    return str(STATE_IN_SENTENCE.get(state, state))


S = OrderState


def has_lines(order: "Order") -> bool:
    return order.line_count > 0


has_lines.hint = _("An order needs at least one line before it can be submitted.")


def _workflow(
    label: str,
    event: str,
    verbs: tuple[str, str],
    *,
    fields: tuple[str, ...] = (),
    style: str = "primary",
    queue: str = "",
    record=None,
    bulk: bool = True,
    correction: bool = False,
    confirm: bool = False,
):
    """FSM `custom` data for a workflow button: its label, event, verbs and the data it needs.

    `verbs` are what messages say of the action: (past participle, infinitive phrase with `{it}`
    where the object goes), as in "it cannot be put on hold now" and "Your role may not put this
    order on hold".

    `queue` says that orders in the source state wait for whoever holds the permission (the
    dashboard's role queues, `dashboard/queues.py`): "all" of them, or only those "returned" by a
    rejection (a fresh draft is its author's work in progress, nobody's queue). Side exits
    (hold, cancel) have none: they are possible, not awaited. `record(order, to_state, actor,
    **fields)` builds the event when it records more than the move (the policy an approval
    satisfied); `bulk=False` keeps an action off the list's bulk bar.
    """
    return {
        "workflow": True,
        "label": label,
        "event": event,
        "done": verbs[0],
        "do": verbs[1],
        "fields": fields,
        "style": style,
        "queue": queue,
        "record": record,  # builds the event when it is more than from/to state and fields
        "bulk": bulk,  # offered on the list's bulk bar
        "correction": correction,  # a compensating move: a final state stays final otherwise
        "confirm": confirm,  # irreversible: the page asks first
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
    # What the company's controls read (orders/policy.py), evolved like the rest:
    total_cents = models.BigIntegerField(default=0)
    # usernames of who placed the order and who last changed its contents (four eyes)
    authors = models.JSONField(default=list, blank=True)
    # approvals given since it was last submitted: [{"by": username, "at": ISO time}]
    approvals = models.JSONField(default=list, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The summary row's columns the workflow reads: the table, its keys and its indexes
        # (the unique (company, sequence) and (company, number), the orders waiting for a
        # second approval) are the summary's, built and rebuilt by its projection.
        managed = False
        db_table = OrderSummary._meta.db_table
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
            ("approve_small_order", "Can approve orders up to the company's Staff limit"),
            ("amend_order", "Can amend approved orders (back for approval)"),
            ("reopen_order", "Can reopen a delivery marked by mistake"),
            ("manage_controls", "Can change the company's controls"),
            ("view_ops_desk", "Can see the system's health on the ops page"),
            ("erase_personal_data", "Can erase a customer's personal data"),
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
        target=RETURN_VALUE(S.SUBMITTED, S.APPROVED),
        conditions=[has_lines],
        permission="orders.submit_order",
        custom=_workflow(
            pgettext_lazy("workflow action", "Submit"),
            "OrderSubmitted",
            (_("submitted"), _("submit {it}")),
            queue="returned",
            record=policy.submit_event,
        ),
    )
    def submit(self):
        """Submitted; approved at once when the company auto-approves within the Staff limit."""
        return S.APPROVED if policy.auto_approves(self) else S.SUBMITTED

    # Who may approve is the company's policy (role by amount band, four eyes, two different
    # Managers above the limit): the permission asks it, with the user.
    @transition(
        field=state,
        source=S.SUBMITTED,
        target=RETURN_VALUE(S.APPROVED, S.SUBMITTED),
        permission=policy.may_approve,
        custom=_workflow(
            pgettext_lazy("workflow action", "Approve"),
            "OrderApproved",
            (_("approved"), _("approve {it}")),
            style="success",
            queue="all",
            record=policy.approval_event,
        ),
    )
    def approve(self):
        """Approved when this approval completes the rule; else it stays submitted, waiting for
        a second approval (its event is then `OrderApprovalRecorded`)."""
        return policy.approval_target(self)

    @transition(
        field=state,
        source=S.SUBMITTED,
        target=S.DRAFT,
        permission="orders.reject_order",
        custom=_workflow(
            pgettext_lazy("workflow action", "Reject"),
            "OrderRejected",
            (_("rejected"), _("reject {it}")),
            fields=("reason",),
            style="secondary",
            queue="all",
        ),
    )
    def reject(self):
        pass

    @transition(
        field=state,
        source=S.APPROVED,
        target=S.IN_FULFILMENT,
        permission="orders.fulfil_order",
        custom=_workflow(
            pgettext_lazy("workflow action", "Start fulfilment"),
            "OrderFulfilmentStarted",
            (_("put into fulfilment"), _("start fulfilment of {it}")),
            queue="all",
        ),
    )
    def start_fulfilment(self):
        pass

    @transition(
        field=state,
        source=S.IN_FULFILMENT,
        target=S.SHIPPED,
        permission="orders.fulfil_order",
        custom=_workflow(
            pgettext_lazy("workflow action", "Ship"),
            "OrderShipped",
            (_("shipped"), _("ship {it}")),
            fields=("carrier", "tracking_number"),
            queue="all",
        ),
    )
    def ship(self):
        pass

    @transition(
        field=state,
        source=S.SHIPPED,
        target=S.DELIVERED,
        permission="orders.fulfil_order",
        custom=_workflow(
            pgettext_lazy("workflow action", "Mark delivered"),
            "OrderDelivered",
            (_("marked delivered"), _("mark {it} as delivered")),
            style="success",
            queue="all",
            confirm=True,
        ),
    )
    def deliver(self):
        pass

    @transition(
        field=state,
        source=[S.APPROVED, S.IN_FULFILMENT],
        target=S.ON_HOLD,
        permission="orders.hold_order",
        custom=_workflow(
            pgettext_lazy("workflow action", "Put on hold"),
            "OrderHeld",
            (_("put on hold"), _("put {it} on hold")),
            fields=("reason",),
            style="secondary",
        ),
    )
    def hold(self):
        pass

    @transition(
        field=state,
        source=S.ON_HOLD,
        target=RETURN_VALUE(S.APPROVED, S.IN_FULFILMENT),
        permission="orders.resume_order",
        custom=_workflow(
            pgettext_lazy("workflow action", "Resume"),
            "OrderResumed",
            (_("resumed"), _("resume {it}")),
            queue="all",
        ),
    )
    def resume(self):
        """Back to the state the order was held from."""
        return self.held_from

    @transition(
        field=state,
        source=S.DELIVERED,
        target=S.SHIPPED,
        conditions=[policy.within_reopen_window],
        permission="orders.reopen_order",
        custom=_workflow(
            pgettext_lazy("workflow action", "Reopen delivery"),
            "OrderReopened",
            (_("reopened"), _("reopen {it}")),
            fields=("reason",),
            style="warning",
            bulk=False,
            correction=True,
        ),
    )
    def reopen(self):
        """A delivery marked by mistake: back to shipped, within the company's window."""

    # A correction (compensating event) with its own form: new details and lines, a reason.
    @transition(
        field=state,
        source=S.APPROVED,
        target=S.SUBMITTED,
        permission="orders.amend_order",
        custom={"event": "OrderAmended", "done": _("amended"), "do": _("amend {it}")},
    )
    def amend(self):
        pass

    # One transition, two permissions: leaving draft/submitted is routine, leaving
    # approved/on_hold throws away approved work, so only a manager may do it.
    @transition(
        field=state,
        source=[S.DRAFT, S.SUBMITTED],
        target=S.CANCELLED,
        permission="orders.cancel_order",
        custom=_workflow(
            pgettext_lazy("workflow action", "Cancel order"),
            "OrderCancelled",
            (_("cancelled"), _("cancel {it}")),
            fields=("reason",),
            style="danger",
            confirm=True,
        ),
    )
    @transition(
        field=state,
        source=[S.APPROVED, S.ON_HOLD],
        target=S.CANCELLED,
        permission="orders.cancel_approved_order",
        custom=_workflow(
            pgettext_lazy("workflow action", "Cancel order"),
            "OrderCancelled",
            (_("cancelled"), _("cancel {it}")),
            fields=("reason",),
            style="danger",
            confirm=True,
        ),
    )
    def cancel(self):
        pass

    # --- changes that keep the state (target=None): still guarded by the FSM ----------------

    @transition(
        field=state,
        source=S.DRAFT,
        target=None,
        permission="orders.change_draft_order",
        custom={"event": "OrderChanged", "done": _("changed"), "do": _("change {it}")},
    )
    def change(self):
        pass

    @transition(
        field=state,
        source="*",
        target=None,
        permission="orders.add_note_order",
        custom={"event": "NoteAdded", "done": _("given a note"), "do": _("add a note to {it}")},
    )
    def add_note(self):
        pass


class SavedView(UUIDModel):
    """A user's named order list: the list's query string (filters, sort, page size), opened
    with one click from the list (issue #32). A preference of one person, like the notification
    settings, not a fact about an order: kept as a row, not in the log. Company-scoped with its
    user (`orders.saved_views`); at most `saved_views.MAX_PER_USER` per user."""

    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="saved_order_views"
    )
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_view_user_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ImportJob(UUIDModel):
    """An import of a company's orders from another system started on the upload page (issue
    #32): the two CSV files as uploaded, checked by a dry run, then imported, both by the worker
    (`orders.import_jobs`), with its progress and results for the page. The orders themselves are
    written by `orders.importing`, exactly as `manage.py import_orders` does."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking (dry run)")
        CHECKED = "checked", _("Checked: ready to import")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    orders_name = models.CharField(max_length=200)
    lines_name = models.CharField(max_length=200)
    orders_csv = models.TextField()
    lines_csv = models.TextField()
    time_zone = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    done = models.PositiveIntegerField(default=0)  # orders handled so far in the running step
    total = models.PositiveIntegerField(default=0)
    dry_run = models.JSONField(default=dict)  # the check's summary and refusals
    result = models.JSONField(default=dict)  # the import's
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("import_orders", "Can import orders from CSV files on the upload page")]

    def __str__(self) -> str:
        return f"{self.orders_name} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)
