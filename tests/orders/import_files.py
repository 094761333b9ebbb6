"""Generated import files (`import_orders`): realistic orders with messy timestamps, every kind
of refusal, and the dashboard figures computed from the file alone (not through Ledgerline)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from orders.importing import LINE_COLUMNS, ORDER_COLUMNS

ZONE = ZoneInfo("Europe/Berlin")  # the --timezone of the tests: naive times are Berlin's
OTHER_ZONE = ZoneInfo("America/New_York")
START = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)  # spans the March DST change in Berlin
STEP_COLUMNS = (
    "submitted_at",
    "approved_at",
    "fulfilment_started_at",
    "shipped_at",
    "delivered_at",
)
FINAL_STEP = {  # how far an order got -> its state
    0: "draft",
    1: "submitted",
    2: "approved",
    3: "in_fulfilment",
    4: "shipped",
    5: "delivered",
}

# kind -> a fragment of the reason the rejects file must give
_REFUSED_STEP = "is set, but the workflow does not allow that step for an order that is"
REFUSALS = {
    "approved_without_submitted": f"approved_at {_REFUSED_STEP} a draft",
    "delivered_without_shipping": f"delivered_at {_REFUSED_STEP} in fulfilment",
    "delivered_before_shipped": "delivered_at (",
    "shipped_without_tracking": "tracking_number: Tracking number is required.",
    "submitted_before_placed": "submitted_at (",
    "not_iso_time": "is not an ISO 8601 time",
    "no_customer": "customer_name: Customer name is required.",
    "quantity_not_a_number": "quantity 'two' is not a whole number",
    "negative_price": "Unit price must be between",
    "no_lines": "no lines",
    "cancelled_after_delivery": f"cancelled_at {_REFUSED_STEP} delivered",
    "no_placed_at": "placed_at is empty.",
    "cancel_without_reason": "cancel_reason: A reason is required.",
}
ORPHAN_LINE_REASON = "no order with this reference"


@dataclasses.dataclass
class Generated:
    orders: Path
    lines: Path
    valid: list[dict]  # the orders that must be imported, with "state", "total_cents", times
    refused: dict[str, str]  # reference -> expected reason fragment
    orphan_reference: str
    repeated: tuple[str, int]  # the reference repeated, and the row of the repeat


def messy(moment: dt.datetime, rng: random.Random) -> str:
    """`moment` written as another system might: with an offset, Z, another zone, a naive local
    time in ZONE (only where that wall time is unambiguous), a space instead of T, blanks."""
    style = rng.randrange(5)
    if style == 0:
        text = moment.isoformat()
    elif style == 1:
        text = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif style == 2:
        text = moment.astimezone(OTHER_ZONE).isoformat(sep=" ")
    else:
        local = moment.astimezone(ZONE).replace(tzinfo=None)
        if local.replace(tzinfo=ZONE).astimezone(dt.UTC) != moment.astimezone(dt.UTC):
            text = moment.isoformat()  # a wall time DST skips or repeats: keep the offset
        else:
            text = local.isoformat(sep=" " if style == 3 else "T")
    return f" {text} " if rng.random() < 0.1 else text


def generate(directory: Path, count: int, *, seed: int = 18) -> Generated:
    rng = random.Random(seed)
    order_rows, line_rows, valid, refused = [], [], [], {}
    kinds = list(REFUSALS)
    for index in range(count):
        reference = f"OLD-{index:05d}"
        placed = START + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 120))
        reached = rng.choice([0, 1, 2, 3, 4, 5, 5, 5])
        times = [placed]
        for _ in range(reached):
            times.append(times[-1] + dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 4)))
        row = dict.fromkeys(ORDER_COLUMNS, "")
        row.update(
            reference=reference,
            customer_name=rng.choice(["Initech", "Umbrella", "Stark, Inc.", 'Wayne "WE"']),
            customer_reference=f"PO-{rng.randrange(10**6)}",
            customer_email=rng.choice(["", "buyer@example.test"]),
            shipping_address=rng.choice(["", "1 Main St\nSpringfield"]),
            notes=rng.choice(["", "fragile"]),
            placed_at=messy(placed, rng),
        )
        for column, moment in zip(STEP_COLUMNS, times[1:], strict=False):
            row[column] = messy(moment, rng)
        if reached >= 4:
            row.update(carrier="DHL", tracking_number=f"TRK{index}")
        state = FINAL_STEP[reached]
        if reached in (0, 1, 2) and rng.random() < 0.2:
            cancelled = times[-1] + dt.timedelta(hours=rng.randrange(1, 48))
            row.update(cancelled_at=messy(cancelled, rng), cancel_reason="customer withdrew")
            state = "cancelled"
        lines = [
            {
                "reference": reference,
                "sku": f"SKU-{rng.randrange(100)}",
                "description": rng.choice(["Widget", "Gadget, large", ""]),
                "quantity": str(rng.randrange(1, 20)),
                "unit_price": str(Decimal(rng.randrange(0, 100000)) / 100),
            }
            for _ in range(rng.randrange(1, 4))
        ]
        kind = kinds[index] if index < len(kinds) else None
        if kind:
            _spoil(kind, row, lines, times)
            refused[reference] = REFUSALS[kind]
        else:
            total = sum(int(line["quantity"]) * Decimal(line["unit_price"]) for line in lines)
            valid.append(
                {
                    "reference": reference,
                    "state": state,
                    "total_cents": int(total * 100),
                    "placed": placed,
                    "submitted": times[1] if reached >= 1 else None,
                    "delivered": times[5] if reached == 5 else None,
                }
            )
        order_rows.append(row)
        line_rows.extend(lines if kind != "no_lines" else [])
    rng.shuffle(order_rows)  # the importer puts them in order of placing
    # A repeated reference: the second row is refused, the first imported as usual.
    repeat = dict(order_rows[-1], customer_name="Someone else")
    order_rows.append(repeat)
    refused_repeat = (repeat["reference"], len(order_rows) + 1)
    orphan = {
        "reference": "NOT-IN-ORDERS",
        "sku": "X",
        "description": "",
        "quantity": "1",
        "unit_price": "1",
    }
    line_rows.append(orphan)
    orders_path, lines_path = directory / "orders.csv", directory / "lines.csv"
    _write(orders_path, ORDER_COLUMNS, order_rows)
    _write(lines_path, LINE_COLUMNS, line_rows)
    return Generated(orders_path, lines_path, valid, refused, orphan["reference"], refused_repeat)


def _spoil(kind: str, row: dict, lines: list[dict], times: list[dt.datetime]) -> None:
    placed = times[0]
    later = [placed + dt.timedelta(hours=h) for h in range(1, 7)]
    # Only the fault under test: no other step, whose times could be refused first.
    row.update(
        dict.fromkeys(
            (*STEP_COLUMNS, "cancelled_at", "cancel_reason", "carrier", "tracking_number"), ""
        )
    )
    if kind == "approved_without_submitted":
        row.update(submitted_at="", approved_at=later[1].isoformat())
    elif kind == "delivered_without_shipping":
        for column, moment in zip(STEP_COLUMNS, later, strict=False):
            row[column] = moment.isoformat()
        row.update(shipped_at="", carrier="", tracking_number="")
    elif kind == "delivered_before_shipped":
        for column, moment in zip(STEP_COLUMNS, later, strict=False):
            row[column] = moment.isoformat()
        row.update(carrier="UPS", tracking_number="1Z", delivered_at=later[2].isoformat())
    elif kind == "shipped_without_tracking":
        for column, moment in zip(STEP_COLUMNS[:4], later, strict=False):
            row[column] = moment.isoformat()
        row.update(carrier="UPS", tracking_number="", delivered_at="")
    elif kind == "submitted_before_placed":
        row.update(submitted_at=(placed - dt.timedelta(days=1)).isoformat())
    elif kind == "not_iso_time":
        row.update(placed_at="31/12/2025 10:00")
    elif kind == "no_customer":
        row.update(customer_name="")
    elif kind == "quantity_not_a_number":
        lines[0]["quantity"] = "two"
    elif kind == "negative_price":
        lines[0]["unit_price"] = "-5.00"
    elif kind == "no_lines":
        pass  # its lines are left out of the lines file
    elif kind == "cancelled_after_delivery":
        for column, moment in zip(STEP_COLUMNS, later, strict=False):
            row[column] = moment.isoformat()
        row.update(
            carrier="UPS",
            tracking_number="1Z",
            cancelled_at=later[5].isoformat(),
            cancel_reason="too late",
        )
    elif kind == "no_placed_at":
        row.update(placed_at="")
    elif kind == "cancel_without_reason":
        row.update(cancelled_at=later[0].isoformat())


def _write(path: Path, columns, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def expected_figures(valid: list[dict], day_zone) -> dict:
    """The dashboard's figures computed from the generated orders alone."""
    cards = Counter()
    totals = Counter()
    placed, delivered = defaultdict(int), defaultdict(int)
    cycle_seconds, cycle_count = 0, 0
    for order in valid:
        cards[order["state"]] += 1
        totals[order["state"]] += order["total_cents"]
        placed[order["placed"].astimezone(day_zone).date()] += 1
        if order["delivered"] is not None:
            delivered[order["delivered"].astimezone(day_zone).date()] += 1
            cycle_seconds += int((order["delivered"] - order["submitted"]).total_seconds())
            cycle_count += 1
    return {
        "cards": {state: (cards[state], totals[state]) for state in cards},
        "placed": dict(placed),
        "delivered": dict(delivered),
        "average_cycle": dt.timedelta(seconds=cycle_seconds / cycle_count) if cycle_count else None,
    }
