"""Bring a company's orders from another system into Ledgerline (`manage.py import_orders`).

Two CSV files with a header row (UTF-8, a byte-order mark allowed):
- orders: `ORDER_COLUMNS` (`reference`, `customer_name` and `placed_at` required; an unknown
  column refuses the whole file), one row per order;
- lines: `LINE_COLUMNS`, one row per order line, joined to its order by `reference`.

Each order goes through the same commands as the pages (`orders.commands`), one event per step
in workflow order, each with its original time as the event's `occurred_at`, all in one write
transaction: an order that the workflow or validation refuses at any step is not imported at all
and becomes a `Reject` (reference, row, reason). The events are recorded by the operator (an
`ImportOperator`, named after whoever ran the command) and carry
`metadata["imported_from"] = {"file", "row", "reference"}`, and, where the `<step>_by` column
names who did the step in the old system, `metadata["original_actor"]` (a name as text: that
person is not a user here); that reference is the key that makes
a re-run skip what is already there. Rows are numbered as a spreadsheet shows them: the header
is row 1.

Customers and SKUs (issue #30): each order is for one of the company's customers, matched by
`customer_reference`, else `customer_email`, else the case-folded exact `customer_name` (the
oldest such customer when several match), or else created from the order's details; each line's
`sku` is matched by code in any case, or else created as a SKU with the line's description and
price. Both happen in the order's own transaction, by the same commands as the pages: an order
refused is imported with no customer or SKU either, and a dry run counts what it would create.

Times are ISO 8601 (`datetime.fromisoformat`: `2024-03-01T09:30:00+01:00`, `...Z`, a space
instead of `T`, a date alone meaning midnight); a time without an offset is read in the given
zone (a wall time that a DST change skips or repeats is taken with `fold=0`). A time is refused
(the order becomes a reject, the import carries on) when its date, as written or in UTC, is
outside the web forms' bounds (`common.form_fields`), when it is later than now plus
`FUTURE_TOLERANCE` (history cannot be in the future), or when a step is earlier than the one
before it.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models.fields.json import KT
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from common.csv_export import csv_lines
from common.exceptions import DomainError
from common.form_fields import validate_date_in_range
from common.translatable import Translatable, as_part, is_part, part_text
from common.typed_input import (
    AmbiguousAmount,
    InputError,
    parse_amount,
    parse_local_amount,
    parse_whole_number,
    search_key,
    text_problem,
)
from customers.commands import create_customer, create_sku
from customers.exceptions import RecordValidationError
from customers.models import Sku
from customers.selectors import customers_named
from customers.validation import CustomerDetails, SkuDetails, clean_sku
from events import store
from events.exceptions import OccurredAtOutOfRange
from events.models import Event

from . import commands
from .events import Line, OrderDetails
from .exceptions import OrderAlreadyPlaced, OrderValidationError, TransitionNotAllowed
from .models import Order, OrderState, state_in_sentence
from .validation import LINE_MESSAGE, clean_order

ORDER_COLUMNS = (
    "reference",
    "customer_name",
    "customer_reference",
    "customer_email",
    "shipping_address",
    "notes",
    "placed_at",
    "submitted_at",
    "approved_at",
    "fulfilment_started_at",
    "shipped_at",
    "carrier",
    "tracking_number",
    "delivered_at",
    "cancelled_at",
    "cancel_reason",
    # Who did each step in the old system (optional): recorded with the step's event as
    # `metadata["original_actor"]`, beside the operator who imported it (issue #32).
    "placed_by",
    "submitted_by",
    "approved_by",
    "fulfilment_started_by",
    "shipped_by",
    "delivered_by",
    "cancelled_by",
)
REQUIRED_ORDER_COLUMNS = ("reference", "customer_name", "placed_at")
LINE_COLUMNS = ("reference", "sku", "description", "quantity", "unit_price")
DETAIL_COLUMNS = ("customer_name", "customer_reference", "customer_email", "shipping_address")

# After placing: (time column, FSM transition, {command field: column}), in workflow order.
STEPS = (
    ("submitted_at", "submit", {}),
    ("approved_at", "approve", {}),
    ("fulfilment_started_at", "start_fulfilment", {}),
    ("shipped_at", "ship", {"carrier": "carrier", "tracking_number": "tracking_number"}),
    ("delivered_at", "deliver", {}),
    ("cancelled_at", "cancel", {"reason": "cancel_reason"}),
)
# The column naming who did each step (its time column's name with "_by" for "_at").
ACTOR_COLUMNS = {
    "placed_at": "placed_by",
    **{column: column.removesuffix("_at") + "_by" for column, _, _ in STEPS},
}
ORIGINAL_ACTOR_MAX = 150  # as a username
REJECT_COLUMNS = ("reference", "row", "reason")
# How far past the clock an imported time may be: the exporting system's clock may run a little
# ahead of ours, and a file written seconds ago may name its own time.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
# validation's "Line 2: " prefix: a reject names the lines file's row instead.
LINE_PREFIX = re.compile(r"^Line \d+: ")


class ImportFileError(Exception):
    """A file as a whole is unusable (missing, not UTF-8 CSV, unknown or missing columns)."""


# A refusal's reason as facts: parts of (English message, its parameters), joined by "; ".
# The English text is what the command line and the rejects file show; a page translates the
# same parts when it shows them (`reason_text`). A parameter may itself be a message
# (`common.translatable.as_part`: a validation's, with its own parameters); one named in
# `TRANSLATED_PARAMS` and stored as plain text is an English message; `state` an order state.
Parts = tuple[tuple[str, dict], ...]
TRANSLATED_PARAMS = frozenset({"problem", "message"})


def reason_text(parts: Parts, language: str | None = "en", markup=None) -> str:
    """The reason `parts` say, in `language` (None: the request's language). A message this
    version's catalogue does not know stays English. `markup(key, text)`, if given, is applied
    to each message (key None) and parameter shown (a page escapes them, and shows column
    names as code)."""
    mark = markup or (lambda key, text: text)
    with translation.override(language) if language else contextlib.nullcontext():
        return "; ".join(_part_text(message, params, mark) for message, params in parts)


def _part_text(message: str, params: dict, mark) -> str:
    text = mark(None, gettext(message))
    if not params:
        return text
    shown = {
        key: mark(
            key,
            state_in_sentence(value)
            if key == "state"
            # A message of its own (a validation's, `common.translatable`): its parameters
            # are text, never code.
            else part_text(value, lambda text: mark(None, text))
            if is_part(value)
            else gettext(value)  # an English message stored before messages had parts
            if key in TRANSLATED_PARAMS and value
            else str(value),
        )
        for key, value in params.items()
    }
    return text % shown


@dataclasses.dataclass(frozen=True)
class Reject:
    reference: str
    row: int  # in the orders file; for a line without an order, in the lines file
    parts: Parts

    @property
    def reason(self) -> str:
        """In English, as the log's facts are."""
        return reason_text(self.parts)


@dataclasses.dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0  # already imported (same reference) before this run
    rejected: list[Reject] = dataclasses.field(default_factory=list)
    events: int = 0  # written (or, in a dry run, that would be)
    seconds: float = 0.0
    # Created (or, in a dry run, that would be): customers by their match key, SKU codes.
    new_customers: set[str] = dataclasses.field(default_factory=set)
    new_skus: set[str] = dataclasses.field(default_factory=set)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


@dataclasses.dataclass(frozen=True)
class ImportOperator:
    """The actor of imported events: whoever ran the import, acting for `company`.

    Not a user of the company (it has no primary key and cannot log in): shell access to run
    `manage.py` is the authority, so it holds every order permission; the commands still check
    the workflow, the data and the company exactly as for a page.
    """

    company: object
    name: str
    pk = None
    # It records what was decided in the previous system, approvals included: the company's
    # controls (four eyes, approval limits, auto-approval) judge people, not the importer.
    records_history = True

    @property
    def company_id(self):
        return self.company.pk

    @property
    def username(self) -> str:
        return f"{self.name} (import)"

    def get_username(self) -> str:
        return self.username

    def has_perm(self, permission: str, obj=None) -> bool:
        return permission.startswith(("orders.", "customers."))


@dataclasses.dataclass
class _Order:
    row: int
    values: dict[str, str]
    lines: list[tuple[int, dict[str, str]]] = dataclasses.field(default_factory=list)

    @property
    def reference(self) -> str:
        return self.values["reference"]


class _Refused(Exception):
    """This order is not imported, for the reason `parts` (see `Parts`): one message (English,
    marked for translation) and its parameters, or `parts=` several."""

    def __init__(self, text: str = "", /, parts: Parts = (), **params):
        self.parts = parts or ((text, params),)
        super().__init__(reason_text(self.parts))


class _AlreadyImported(Exception):
    """The reference's order exists: another run placed it while this one ran."""


class _DryRun(Exception):
    """Roll the order back: it was checked, not imported."""


def import_orders(
    company,
    orders_path: Path,
    lines_path: Path,
    *,
    operator: str,
    zone: ZoneInfo,
    dry_run: bool = False,
    decimal_comma: bool = False,
    progress: Callable[[int], None] = lambda done: None,
    on_total: Callable[[int], None] = lambda total: None,
) -> ImportResult:
    """Import the files' orders into `company`; see the module docstring.

    `progress(1)` is called after each order, `on_total(n)` once with the number of orders.
    Raises `ImportFileError` before writing anything if a file is unusable. With `dry_run`,
    every order is run through the commands and rolled back: nothing is written. Prices are
    read with a decimal point ("12.50"), or with `decimal_comma` a decimal comma ("12,50",
    "1.250,00": `typed_input.parse_local_amount` in German); a price that could mean two
    things is refused, never guessed. Files may be comma- or semicolon-separated (`_rows`).
    """
    started = time.perf_counter()
    orders, rejects = read_files(orders_path, lines_path)
    result = ImportResult(rejected=rejects)
    on_total(len(orders))
    actor = ImportOperator(company, operator)
    done = _imported_references(company)
    planned = []
    for order in orders:
        if order.reference in done:
            result.skipped += 1
            progress(1)
            continue
        try:
            planned.append((_times(order, zone), order))
        except _Refused as refused:
            result.rejected.append(Reject(order.reference, order.row, refused.parts))
            progress(1)
    # Oldest first, so order numbers follow the original order of placing.
    planned.sort(key=lambda item: (item[0]["placed_at"], item[1].row))
    for times, order in planned:
        try:
            result.events += _import_one(
                order,
                times,
                actor,
                orders_path.name,
                dry_run,
                lines_path.name,
                decimal_comma,
                result,
            )
            result.imported += 1
        except _AlreadyImported:  # by another run since this one read what was there
            result.skipped += 1
        except _Refused as refused:
            result.rejected.append(Reject(order.reference, order.row, refused.parts))
        progress(1)
    result.rejected.sort(key=lambda reject: (reject.row, reject.reference))
    result.seconds = time.perf_counter() - started
    return result


def read_files(orders_path: Path, lines_path: Path) -> tuple[list[_Order], list[Reject]]:
    """The orders with their lines, and the rows refused already (a reference repeated in the
    orders file, an order line whose reference no order has). Raises `ImportFileError`."""
    orders: dict[str, _Order] = {}
    rejects: list[Reject] = []
    for row, values in _rows(orders_path, ORDER_COLUMNS, REQUIRED_ORDER_COLUMNS):
        reference = values["reference"]
        problem = text_problem(reference)
        if not reference:
            rejects.append(Reject("", row, ((_IS_EMPTY, {"column": "reference"}),)))
        elif problem:  # it goes into each event's metadata, as any text into the log
            reason = gettext_noop("%(column)s: %(problem)s")
            params = {"column": "reference", "problem": as_part(problem)}
            rejects.append(Reject(repr(reference)[1:-1], row, ((reason, params),)))
        elif reference in orders:
            reason = gettext_noop("%(column)s repeats row %(row)s.")
            params = {"column": "reference", "row": orders[reference].row}
            rejects.append(Reject(reference, row, ((reason, params),)))
        else:
            orders[reference] = _Order(row, values)
    for row, values in _rows(lines_path, LINE_COLUMNS, LINE_COLUMNS):
        order = orders.get(values["reference"])
        if order is None:
            reason = gettext_noop(
                "%(lines)s row %(row)s: no order with this reference in %(orders)s."
            )
            params = {"lines": lines_path.name, "row": row, "orders": orders_path.name}
            rejects.append(Reject(values["reference"], row, ((reason, params),)))
        else:
            order.lines.append((row, values))
    return list(orders.values()), rejects


def write_rejects(path: Path, rejects: list[Reject]) -> None:
    """Write the rejects as CSV (`REJECT_COLUMNS`, header row) through the shared CSV writer
    (`common.csv_export`: a BOM, and no cell a spreadsheet would run as a formula)."""
    rows = ((r.reference, r.row, r.reason) for r in rejects)
    with path.open("w", newline="", encoding="utf-8") as file:
        file.writelines(csv_lines(REJECT_COLUMNS, rows))


def rejects_path(orders_path: Path) -> Path:
    """Where the rejects go: next to the orders file, `<name>.rejects.csv`."""
    return orders_path.with_name(f"{orders_path.stem}.rejects.csv")


def parse_time(text: str, zone: ZoneInfo) -> dt.datetime:
    """An aware datetime from ISO 8601 text; naive times are read in `zone`. ValueError if not
    ISO 8601."""
    value = dt.datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


# --- internals ------------------------------------------------------------------------------


def _rows(path: Path, columns, required) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            # A spreadsheet saving CSV where the decimal mark is a comma (German Excel, Calc)
            # separates cells with semicolons: a header with ";" and no "," says so.
            first = file.readline()
            file.seek(0)
            delimiter = ";" if ";" in first and "," not in first else ","
            reader = csv.DictReader(file, delimiter=delimiter)
            header = reader.fieldnames or []
            unknown = [name for name in header if name not in columns]
            if unknown:
                raise ImportFileError(
                    f"{path.name}: unknown column(s) {', '.join(map(repr, unknown))}; "
                    f"the columns are {', '.join(columns)}."
                )
            missing = [name for name in required if name not in header]
            if missing:
                raise ImportFileError(f"{path.name}: missing column(s) {', '.join(missing)}.")
            for number, raw in enumerate(reader, start=2):
                if None in raw:
                    raise ImportFileError(f"{path.name} row {number}: more cells than columns.")
                # NFC: a reference or name is the same text however its file composed it.
                yield number, {name: _nfc((raw.get(name) or "").strip()) for name in columns}
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file.") from None
    except UnicodeDecodeError as error:
        raise ImportFileError(f"{path.name}: not UTF-8 text ({error.reason}).") from None
    except csv.Error as error:
        raise ImportFileError(f"{path.name}: not valid CSV ({error}).") from None


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _imported_references(company) -> set[str]:
    """The references already imported into `company` (from any file), as text: `KT` reads the
    JSON string as the SQL text it is (`->>`), where `metadata__…__reference` would hand it to
    a JSON decoder that turns "1001" into 1001 and "[1]" into a list (issue #24 §2)."""
    placed = Event.objects.filter(company=company, event_type="OrderPlaced")
    return set(
        placed.filter(metadata__has_key="imported_from")
        .annotate(reference=KT("metadata__imported_from__reference"))
        .values_list("reference", flat=True)
    )


def _times(order: _Order, zone: ZoneInfo) -> dict[str, dt.datetime]:
    """The order's step times by column; `_Refused` for a bad time, a missing `placed_at` or
    a step earlier than the one before it."""
    values = order.values
    if not values["placed_at"]:
        raise _Refused(_IS_EMPTY, column="placed_at")
    times = {}
    latest = timezone.now() + FUTURE_TOLERANCE
    for column in ("placed_at", *(step[0] for step in STEPS)):
        if values[column]:
            try:
                times[column] = moment = parse_time(values[column], zone)
            except ValueError:
                raise _Refused(
                    gettext_noop("%(column)s %(value)s is not an ISO 8601 time."),
                    column=column,
                    value=repr(values[column]),
                ) from None
            try:
                validate_date_in_range(moment)
                store.check_occurred_at(moment)
            except (ValidationError, OccurredAtOutOfRange) as error:
                raise _Refused(
                    gettext_noop("%(column)s %(value)s: %(message)s"),
                    column=column,
                    value=repr(values[column]),
                    message=as_part(error if isinstance(error, ValidationError) else error.args[0]),
                ) from None
            if moment > latest:
                raise _Refused(
                    gettext_noop(
                        "%(column)s %(value)s is in the future: imported history must have "
                        "happened already."
                    ),
                    column=column,
                    value=repr(values[column]),
                )
    for column, actor_column in ACTOR_COLUMNS.items():
        name = values[actor_column]
        if name and column not in times:
            raise _Refused(
                gettext_noop("%(actor)s is set, but %(column)s is empty."),
                actor=actor_column,
                column=column,
            )
        problem = text_problem(name) if name else ""
        if problem or len(name) > ORIGINAL_ACTOR_MAX:
            if problem:
                raise _Refused(
                    gettext_noop("%(actor)s: %(problem)s"),
                    actor=actor_column,
                    problem=as_part(problem),
                )
            raise _Refused(
                gettext_noop("%(actor)s: at most %(max)s characters."),
                actor=actor_column,
                max=ORIGINAL_ACTOR_MAX,
            )
    previous = None
    for column, moment in times.items():
        if previous is not None and moment < times[previous]:
            raise _Refused(
                gettext_noop("%(column)s (%(value)s) is earlier than %(previous)s (%(earlier)s)."),
                column=column,
                value=values[column],
                previous=previous,
                earlier=values[previous],
            )
        previous = column
    return times


def _lines(order: _Order, decimal_comma: bool = False) -> list[Line]:
    if not order.lines:
        raise _Refused(gettext_noop("no lines: the lines file has no row with this reference."))
    lines = []
    for row, values in order.lines:
        try:
            quantity = parse_whole_number(values["quantity"])
        except InputError:
            raise _Refused(
                gettext_noop("line row %(row)s: %(column)s %(value)s is not a whole number."),
                row=row,
                column="quantity",
                value=repr(values["quantity"]),
            ) from None
        try:
            price = _price(values["unit_price"], decimal_comma)
        except AmbiguousAmount as error:
            raise _Refused(
                gettext_noop("line row %(row)s: %(column)s %(message)s"),
                row=row,
                column="unit_price",
                message=as_part(error.args[0]),
            ) from None
        except InputError:
            message = (
                gettext_noop(
                    "line row %(row)s: %(column)s %(value)s is not a number (a decimal comma? "
                    "run with --decimal-comma)."
                )
                if "," in values["unit_price"] and not decimal_comma
                else gettext_noop("line row %(row)s: %(column)s %(value)s is not a number.")
            )
            raise _Refused(
                message, row=row, column="unit_price", value=repr(values["unit_price"])
            ) from None
        lines.append(
            Line(
                sku=values["sku"],
                description=values["description"],
                quantity=quantity,
                unit_price=price,
            )
        )
    return lines


def _where(
    key: str, order: _Order, step_column: str, fields: dict[str, str], lines_name: str, message
) -> tuple[str, dict]:
    """A validation error's `message` as a reason's part, said of the CSV column (or lines-file
    row and column) its `key` is about: detail fields are their own columns, `lines.<n>.<field>`
    the n-th line's row, a step's fields their `fields` column (`reason` -> `cancel_reason`),
    anything else the step's time."""
    if isinstance(message, Translatable) and message.msgid == LINE_MESSAGE:
        message = message.params["message"]  # the reject names the line's row instead
    elif not isinstance(message, Translatable):
        message = LINE_PREFIX.sub("", str(message))
    message = as_part(message)
    if key.startswith("lines."):
        _, number, field = key.split(".", 2)
        row = order.lines[int(number)][0]
        return (
            gettext_noop("%(lines)s row %(row)s, %(field)s: %(message)s"),
            {"lines": lines_name, "row": row, "field": field, "message": message},
        )
    if key == "lines":
        return (
            gettext_noop("%(lines)s (the order's lines): %(message)s"),
            {"lines": lines_name, "message": message},
        )
    column = key if key in DETAIL_COLUMNS or key == "notes" else fields.get(key, step_column)
    return _COLUMN_SAYS, {"column": column, "message": message}


_COLUMN_SAYS = gettext_noop("%(column)s: %(message)s")
_IS_EMPTY = gettext_noop("%(column)s is empty.")


def _customer_for(details: OrderDetails, actor, at, created: set[str]) -> OrderDetails:
    """`details` with the customer they name (see the module docstring), created if none
    matches; `created` gets the new customer's match key."""
    found = customers_named(
        actor.company_id,
        reference=details.customer_reference,
        email=details.customer_email,
        name=details.customer_name,
        active=None,  # an inactive customer's order is still theirs
        limit=1,
    )
    if found:
        return dataclasses.replace(details, customer_id=str(found[0].pk))
    made = create_customer(
        actor=actor,
        details=CustomerDetails(
            name=details.customer_name,
            reference=details.customer_reference,
            email=details.customer_email,
            shipping_address=details.shipping_address,
        ),
        at=at,
    )
    created.add(made.reference_key or made.email_key or made.name_key)
    return dataclasses.replace(details, customer_id=str(made.pk))


def _create_skus(lines: list[Line], actor, at, created: set[str]) -> None:
    """Create a SKU for each line code the company does not have (any case, active or not),
    unless the line's code or price is none a SKU may have (a code with spaces): that line
    keeps its own text, as before SKUs existed."""
    known = set(Sku.objects.filter(company_id=actor.company_id).values_list("code_key", flat=True))
    for line in lines:
        key = search_key(line.sku)
        if key in known:
            continue
        details = SkuDetails(
            code=line.sku, description=line.description, unit_price=line.unit_price
        )
        try:
            clean_sku(details)  # checked first: a refusal inside the command would end the
        except RecordValidationError:  # writer transaction; a line's free text stays as is
            continue
        create_sku(actor=actor, details=details, at=at)
        known.add(key)
        created.add(key)


# A customer's or SKU's field -> the orders file's column (or the lines file's) it came from.
RECORD_COLUMNS = {
    "name": "customer_name",
    "reference": "customer_reference",
    "email": "customer_email",
    "code": "sku",
    "description": "description",
    "unit_price": "unit_price",
}


def _original_actor(values: dict[str, str], column: str):
    """Say on the step's event who did it in the old system, when the file names them."""
    name = values[ACTOR_COLUMNS[column]]
    return store.metadata_added(original_actor=name) if name else contextlib.nullcontext()


def _price(text: str, decimal_comma: bool) -> Decimal:
    """A price of the file: "12.50", or with a decimal comma "12,50" / "1.250,00"."""
    return parse_local_amount(text, "de") if decimal_comma else parse_amount(text)


def _import_one(
    order: _Order,
    times,
    actor,
    source: str,
    dry_run: bool,
    lines_name: str,
    decimal_comma: bool = False,
    result=None,
) -> int:
    """Run the order through the commands in one transaction; the number of events."""
    values = order.values
    details = OrderDetails(
        **{column: values[column] for column in DETAIL_COLUMNS}, notes=values["notes"]
    )
    lines = _lines(order, decimal_comma)
    where = {"file": source, "row": order.row, "reference": order.reference}
    column, fields, written, state = "placed_at", {}, 0, OrderState.DRAFT.value
    new_customers, new_skus = set(), set()
    try:
        with store.metadata_added(imported_from=where), store.write_transaction():
            if not Order.objects.filter(
                pk=commands.order_id_for(actor.company_id, f"import:{order.reference}"),
                company_id=actor.company_id,
            ).exists():  # (else `place_order` says it is there: no customer made for it)
                # The order's own checks first: their messages name the order's columns.
                details, cleaned = clean_order(details, lines)
                details = _customer_for(details, actor, times["placed_at"], new_customers)
                _create_skus(cleaned, actor, times["placed_at"], new_skus)
            # The reference is the create token: one order per reference and company, checked
            # by `place_order` under the writers' lock, so a concurrent run cannot place it too.
            with _original_actor(values, "placed_at"):
                placed = commands.place_order(
                    actor=actor,
                    details=details,
                    lines=lines,
                    at=times["placed_at"],
                    order_id=f"import:{order.reference}",
                )
            written, order_id, version, state = 1, placed.id, placed.version, placed.state
            for column, name, fields in STEPS:
                if column not in times:
                    continue
                data = {field: values[source_column] for field, source_column in fields.items()}
                with _original_actor(values, column):
                    moved = commands.transition(
                        order_id,
                        name,
                        actor=actor,
                        expected_version=version,
                        at=times[column],
                        **data,
                    )
                written, version, state = written + 1, moved.version, moved.state
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except RecordValidationError as error:  # the customer or a SKU the order would create
        raise _Refused(
            parts=tuple(
                (_COLUMN_SAYS, {"column": RECORD_COLUMNS.get(key, key), "message": as_part(m)})
                for key, messages in error.errors.items()
                for m in messages
            )
        ) from None
    except OrderAlreadyPlaced:
        raise _AlreadyImported from None
    except TransitionNotAllowed:
        raise _Refused(
            gettext_noop(
                "%(column)s is set, but the workflow does not allow that step for an order "
                "that is %(state)s (is an earlier step missing, or had the order finished "
                "already?)."
            ),
            column=column,
            state=state,
        ) from None
    except OrderValidationError as error:
        raise _Refused(
            parts=tuple(
                _where(key, order, column, fields, lines_name, m)
                for key, messages in error.errors.items()
                for m in messages
            )
        ) from None
    except DomainError as error:  # (times are checked before, in _times)
        said = error.args[0] if error.args else str(error)
        raise _Refused(_COLUMN_SAYS, column=column, message=as_part(said)) from None
    if result is not None:
        result.new_customers |= new_customers
        result.new_skus |= new_skus
    return written
