"""Company-scoped read models. Every row is derived from the event log and can be rebuilt.

Money is stored in minor units (cents) as integers: exact, sortable and filterable in SQL.
Rows that aggregate (per company/state, per company/day) get deterministic UUIDs (uuid5 of
their key), so a rebuild produces byte-identical rows. Company foreign keys carry no database
constraint: read models are disposable and are built aside in a scratch database.
"""

import uuid

from django.db import models

from common.models import RowIdField, UUIDModel  # noqa: F401 (RowIdField: migration 0009)

_NAMESPACE = uuid.UUID("7d9f8f0e-54a8-4f51-9a3e-0c1d2b3a4f50")


def key_uuid(*parts) -> uuid.UUID:
    """A stable UUID for an aggregate row, derived from its natural key."""
    return uuid.uuid5(_NAMESPACE, "|".join(str(part) for part in parts))


def company_fk():
    """A read model's company: no constraint (the log keeps the truth), and no single-column
    index, as every such table has a composite index that starts with the company."""
    return models.ForeignKey(
        "accounts.Company",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class ProjectionCheckpoint(UUIDModel):
    """The last global log position a projection has applied.

    None: every event, and every later one as it is appended: the projection follows the log
    inline (`engine.apply_inline`), so its row is not rewritten by every command (issue #25: a
    WAL page per commit). `engine.checkpoint_positions` reads None as the log's head."""

    name = models.CharField(max_length=50, unique=True)
    position = models.BigIntegerField(default=0, null=True)

    def __str__(self) -> str:
        return f"{self.name}@{'head' if self.position is None else self.position}"


class OrderSummary(UUIDModel):
    """One row per order (id = the order's stream id): the list page, the detail header, and
    the order's current state as commands load it: `orders.Order` (the FSM model) reads and
    writes this table (issue #25: one row for an order's current state, where the order's
    state row and this row said the same thing in two rows of the same key)."""

    company = company_fk()
    number = models.CharField(max_length=32)
    sequence = models.PositiveIntegerField()
    state = models.CharField(max_length=20)
    version = models.PositiveIntegerField()
    customer_name = models.CharField(max_length=200)
    customer_reference = models.CharField(max_length=100, blank=True)
    customer_email = models.CharField(max_length=254, blank=True)
    shipping_address = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    lines = models.JSONField(default=list)
    line_count = models.PositiveIntegerField(default=0)
    total_cents = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    placed_at = models.DateTimeField()
    placed_by = models.CharField(max_length=150)
    last_changed_at = models.DateTimeField()
    last_actor = models.CharField(max_length=150)
    state_since = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    held_from = models.CharField(max_length=20, blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    note_count = models.PositiveIntegerField(default=0)
    # The last rejection's reason until the order is submitted again (the Staff queue shows it
    # for drafts sent back).
    rejection_reason = models.TextField(blank=True, default="")
    # What the list's search looks in (number, customer, reference, e-mail, each line's SKU and
    # description), case-folded NFC (`common.typed_input.search_key`): SQLite's LIKE folds
    # only ASCII, and canonically equal text must match (issue #24 §17-18).
    search_text = models.TextField(blank=True, default="")
    # The company's customer the order was picked for (`customers.Customer`; None: free text,
    # and every order placed before customers existed). The customer page lists by it.
    customer_id = models.UUIDField(null=True, blank=True)
    # What the company's controls read besides (`orders.aggregate.evolve`, `orders.policy`):
    # who placed the order and who last changed its contents (four eyes), and the approvals
    # given since it was last submitted ([{"by": username, "at": ISO time}]).
    authors = models.JSONField(default=list, blank=True)
    approvals = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            # The next order number (place) and the list sorted by number; an order by its
            # number. Unique: the last line of defence behind the writers' lock.
            models.UniqueConstraint(fields=["company", "sequence"], name="summary_co_seq_unique"),
            models.UniqueConstraint(fields=["company", "number"], name="summary_co_number_unique"),
        ]
        indexes = [
            # The list's sorts, each index ending with the number (the list's tie-breaker,
            # orders.filters.SORT_TIES): a page of any sort, filtered or not, is read in the
            # index's order, either way, and the reading stops after the page.
            models.Index(fields=["company", "-placed_at", "-sequence"], name="summary_co_placed"),
            models.Index(fields=["company", "total_cents", "sequence"], name="summary_co_total"),
            models.Index(fields=["company", "line_count", "sequence"], name="summary_co_lines"),
            models.Index(
                fields=["company", "-last_changed_at", "-sequence"], name="summary_co_changed"
            ),
            models.Index(
                fields=["company", "customer_name", "sequence"], name="summary_co_customer"
            ),
            # The list sorted by time in state across states. A transition moves its entry (two
            # WAL pages), as it moves `summary_co_queue`'s and `summary_co_changed`'s: no other
            # index gives this order, and without it the page sorts the company's orders.
            models.Index(fields=["company", "state_since", "sequence"], name="summary_co_since"),
            # The filtered list (state + total range) and its count, without a row-by-row scan.
            models.Index(fields=["company", "state", "total_cents"], name="summary_co_state_total"),
            # The role queues' oldest rows (state_since, then sequence: no sort) and the stuck
            # orders (issue #25 §5).
            models.Index(
                fields=["company", "state", "state_since", "sequence"], name="summary_co_queue"
            ),
            # Only the orders sent back by a rejection (the Staff queue's returned drafts),
            # oldest first: the index above would walk past every fresh draft to find them.
            models.Index(
                fields=["company", "state", "state_since", "sequence"],
                condition=~models.Q(rejection_reason=""),
                name="summary_co_returned",
            ),
            # Only the orders waiting for a second approval (issue #28), in order: the
            # dashboard reads them without walking the company's other orders (issue #25 §5).
            models.Index(
                fields=["company", "sequence"],
                condition=models.Q(state="submitted") & ~models.Q(approvals=[]),
                name="summary_co_second_approval",
            ),
            # A customer's newest orders and their per-state totals (the customer page). Not
            # keyed by state: a transition would move its entry (two WAL pages per commit).
            models.Index(
                fields=["company", "customer_id", "-placed_at", "-sequence"],
                name="summary_co_cust_placed",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class DashboardOrder(UUIDModel):
    """What the dashboard projection needs to remember per order (its own, independent rows).

    Indexed only for what a page asks (EXPLAIN QUERY PLAN of `cycle_times`: the (company,
    delivered_at) range, covering `cycle_seconds` so the period's figures never read the
    table). No state: every event that moves an order names the state it leaves, and a draft
    change happens only in draft, so a move that changes nothing else here (approve, start
    fulfilment, ship, hold, resume, cancel) writes no row of this table (issue #25: the order's
    state in one row)."""

    company = company_fk()
    total_cents = models.BigIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Per-order cycle rows for any period's mean/median/p90 (issue #19): set on delivery.
    delivered_at = models.DateTimeField(null=True, blank=True)
    cycle_seconds = models.BigIntegerField(null=True, blank=True)
    # Sent back by a rejection and not submitted since (`OrderSummary.rejection_reason` is
    # not empty): counted per state in `DashboardStateTotal.returned`.
    returned = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["company", "delivered_at", "cycle_seconds"], name="dashorder_co_cycle"
            ),
        ]


class DashboardStateTotal(UUIDModel):
    """Per company and state: how many orders, their value, and how many of them were sent
    back by a rejection and not submitted since (the "Returned drafts" queue): the dashboard's
    cards and queue counts, read without counting orders (issue #25 §5)."""

    company = company_fk()
    state = models.CharField(max_length=20)
    count = models.BigIntegerField(default=0)
    total_cents = models.BigIntegerField(default=0)
    returned = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "state"], name="dash_state_unique")
        ]


class DashboardActivity(UUIDModel):
    """Orders placed, delivered and cancelled per company and quarter of an hour (UTC; `slot`
    is the quarter's first instant). Local days, weeks and months of any zone are whole
    numbers of quarters (every zone's offset is a multiple of 15 minutes), so the dashboard
    sums a person's local days from these rows (issue #29: 23- and 25-hour days included)
    and the rows never depend on anybody's zone."""

    company = company_fk()
    slot = models.DateTimeField()
    # The same quarter as a number: quarters of an hour since 1970-01-01 00:00 UTC (negative
    # before). A chart bar's rows are a range of these, and within a run of equally long bars
    # the bar of a row is (quarter - base) / quarters per bar: integer arithmetic the database
    # does itself (SQLite's date functions are Python callbacks), so the chart's query is one
    # expression per clock change in its period, not one comparison per bar (issue #25).
    quarter = models.IntegerField()
    placed = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "slot"], name="dash_activity_unique")
        ]
