"""Typed events: small immutable classes registered by name, with exact (de)serialisation.

Payloads are JSON. `Decimal`, `UUID`, `datetime` and `date` travel as strings and come back as
the same type and value (aware datetimes keep their instant; they are stored in UTC). An old
payload (lower `schema_version`) is upcast step by step to the current class before decoding.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar

from django.utils.translation import gettext, gettext_noop

from .exceptions import UnknownEventType


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every event. Subclasses are past-tense facts with no behaviour.

    Each registered class declares `label`: what happened, in words a person reads in the event
    log ("Fulfilment started"); `tests/events/test_labels.py` fails for a type without one.
    `detail_fields` names the payload fields the log's details column shows (None: every
    top-level text or number field except the states, which the label already says);
    `details_shown` may be overridden instead. (`details` is a payload field of some events.)

    `personal` names the payload fields that hold personal data (dotted into nested
    dataclasses: "details.customer_name"; text fields only). The event store seals them under
    the key of `data_subject()` (events/sealing.py), so that destroying that key erases them
    without touching the log (invariant 7).
    """

    event_type: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1
    label: ClassVar[str] = ""
    detail_fields: ClassVar[tuple[str, ...] | None] = None
    personal: ClassVar[tuple[str, ...]] = ()

    def data_subject(self) -> str:
        """The opaque id of the person the `personal` fields are about, e.g. "customer:<id>";
        "" (the default): the stream itself ("order:<stream id>"), which the store fills in."""
        return ""

    def details_shown(self) -> list[tuple[str, str]]:
        """The event's details as (name in words, value) pairs, e.g. `[("Reason", "damaged")]`;
        empty values are left out. A class may override it to say more (or less)."""
        names = self.detail_fields
        if names is None:
            names = [
                f.name
                for f in dataclasses.fields(self)
                if f.name not in _STATE_FIELDS
                and isinstance(getattr(self, f.name), (str, int, Decimal))
            ]
        pairs = [(name, self.shown_value(name, getattr(self, name))) for name in names]
        # Field names in words, translated when shown (FIELD_WORDS marks them for the catalogue).
        return [
            (gettext(_words(name)), str(value)) for name, value in pairs if value not in (None, "")
        ]

    def shown_value(self, field_name: str, value):
        """How the log shows a payload value (a subclass may put a stored code into words)."""
        return value

    def to_payload(self) -> dict[str, Any]:
        return {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]):
        return _decoder(cls)(payload)


_STATE_FIELDS = frozenset({"from_state", "to_state"})


def _words(field_name: str) -> str:
    return field_name.replace("_", " ").capitalize()


# The generic details' field names in words (`_words`), for `makemessages`: marked, not used.
FIELD_WORDS = (
    gettext_noop("Carrier"),
    gettext_noop("Client id"),
    gettext_noop("Count"),
    gettext_noop("Currency"),
    gettext_noop("Email"),
    gettext_noop("Email domains"),
    gettext_noop("Emailed to"),
    gettext_noop("Event types"),
    gettext_noop("First name"),
    gettext_noop("From number"),
    gettext_noop("From role"),
    gettext_noop("Issuer"),
    gettext_noop("Last name"),
    gettext_noop("Name"),
    gettext_noop("Password login"),
    gettext_noop("Pending"),
    gettext_noop("Prefix"),
    gettext_noop("Reason"),
    gettext_noop("Role"),
    gettext_noop("Sessions ended"),
    gettext_noop("Slug"),
    gettext_noop("Subscriber"),
    gettext_noop("Summary"),
    gettext_noop("To number"),
    gettext_noop("To role"),
    gettext_noop("Tracking number"),
    gettext_noop("Url"),
    gettext_noop("Username"),
)


_EVENT_TYPES: dict[str, type[DomainEvent]] = {}
# (event_type, from_version) -> function turning a payload of that version into the next one.
_UPCASTERS: dict[tuple[str, int], Callable[[dict], dict]] = {}


def register(cls: type[DomainEvent]) -> type[DomainEvent]:
    """Class decorator: register an event class under its `event_type` (default: class name)."""
    if not cls.event_type:
        cls.event_type = cls.__name__
    for path in cls.personal:
        _check_personal_path(cls, path)
    existing = _EVENT_TYPES.get(cls.event_type)
    if existing is not None and existing is not cls:
        raise ValueError(f"Event type {cls.event_type!r} is registered twice.")
    _EVENT_TYPES[cls.event_type] = cls
    return cls


def _check_personal_path(cls, path: str) -> None:
    """A `personal` path must name a text field (str or str | None), through dataclasses."""
    hint: Any = cls
    for part in path.split("."):
        hints = _hints(hint) if dataclasses.is_dataclass(hint) else {}
        if part not in hints:
            raise ValueError(f"{cls.__name__}.personal: {path!r} is not a field.")
        hint = hints[part]
    if hint not in (str, str | None):
        raise ValueError(f"{cls.__name__}.personal: {path!r} is not a text field.")


def upcaster(event_type: str, from_version: int):
    """Decorator: a function that turns a `from_version` payload into a `from_version + 1` one."""

    def decorate(fn: Callable[[dict], dict]) -> Callable[[dict], dict]:
        _UPCASTERS[(event_type, from_version)] = fn
        return fn

    return decorate


def event_class(event_type: str) -> type[DomainEvent]:
    try:
        return _EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(f"Unknown event type {event_type!r}.") from None


def registered_types() -> dict[str, type[DomainEvent]]:
    return dict(_EVENT_TYPES)


def label_of(event_type: str) -> str:
    """The type's label in words; the type's own name for a type no longer registered."""
    cls = _EVENT_TYPES.get(event_type)
    label = cls.__dict__.get("label") if cls else None
    # Labels are lazy translations: text in the active language, made when shown.
    return str(label) if label else event_type


def label_choices() -> list[tuple[str, str]]:
    """(event_type, label) for every registered type, by label: a filter's choices."""
    return sorted(((name, label_of(name)) for name in _EVENT_TYPES), key=lambda c: c[1])


def upcast(event_type: str, schema_version: int, payload: dict) -> dict:
    """Bring an old payload up to the current schema of its class."""
    target = event_class(event_type).schema_version
    while schema_version < target:
        step = _UPCASTERS.get((event_type, schema_version))
        if step is None:
            raise UnknownEventType(
                f"No upcaster for {event_type} from schema version {schema_version}."
            )
        payload = step(dict(payload))
        schema_version += 1
    return payload


def deserialize(event_type: str, schema_version: int, payload: dict) -> DomainEvent:
    cls = event_class(event_type)
    return cls.from_payload(upcast(event_type, schema_version, payload))


# --- the codec ------------------------------------------------------------------------------


@cache
def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("Event datetimes must be timezone-aware.")
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, float):
        raise TypeError("Floats are not exact: use Decimal in events.")
    raise TypeError(f"Cannot put a {type(value).__name__} in an event payload.")


@cache
def _decoder(hint: Any) -> Callable[[Any], Any]:
    """A function turning JSON for `hint` back into it, built once per type (hot in replays)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        decode_inner = _decoder(inner)
        return lambda raw: None if raw is None else decode_inner(raw)
    if origin in (list, tuple):
        decode_item = _decoder(typing.get_args(hint)[0])
        if origin is tuple:
            return lambda raw: tuple(decode_item(item) for item in raw)
        return lambda raw: [decode_item(item) for item in raw]
    if hint in (Decimal, uuid.UUID):
        return hint
    if hint is dt.datetime:
        return dt.datetime.fromisoformat
    if hint is dt.date:
        return dt.date.fromisoformat
    if dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        fields = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(hint)]

        def decode_dataclass(raw: dict):
            return hint(**{name: decode(raw[name]) for name, decode in fields if name in raw})

        return decode_dataclass
    return _identity


def _identity(raw: Any) -> Any:
    return raw
