"""Named errors of the customer and SKU commands. Each message is written for the person who
acted; the kind (`common.exceptions`) decides the status."""

from django.utils.translation import gettext as _

from common.exceptions import Conflict, DomainError, Invalid, NotFound, NotPermitted
from events.exceptions import ConcurrencyError

__all__ = [
    "ConcurrencyError",
    "CustomerNotFound",
    "RecordAlreadyCreated",
    "RecordError",
    "RecordNotPermitted",
    "RecordValidationError",
    "SkuNotFound",
]


class RecordError(DomainError):
    """Base of the customer and SKU errors."""


class CustomerNotFound(RecordError, NotFound):
    def __init__(self):
        super().__init__(_("No such customer."))


class SkuNotFound(RecordError, NotFound):
    def __init__(self):
        super().__init__(_("No such SKU."))


class RecordNotPermitted(RecordError, NotPermitted):
    """The user's role may not do this (HTTP 403)."""


class RecordAlreadyCreated(RecordError, Conflict):
    """A create repeated with the same form token: `record` is what the first one made."""

    def __init__(self, record):
        self.record = record
        super().__init__(_("%(record)s was already created from this form.") % {"record": record})


class RecordValidationError(RecordError, Invalid):
    """Input data is invalid. `errors` maps a field name ('' for the whole record) to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        first = next(iter(errors.values()))[0]
        super().__init__(first if len(errors) == 1 else f"{first} (+{len(errors) - 1})")
