"""Named domain errors of the workflow. Each message is written for the person who acted."""

from django.utils.translation import gettext

from common.exceptions import Conflict, DomainError, Invalid, NotFound, NotPermitted
from events.exceptions import ConcurrencyError

__all__ = [
    "ActionNotPermitted",
    "ConcurrencyError",
    "ImportJobNotFound",
    "ImportNotPermitted",
    "InvalidImport",
    "InvalidSavedView",
    "OrderAlreadyPlaced",
    "OrderError",
    "OrderNotFound",
    "OrderValidationError",
    "SavedViewNotFound",
    "TransitionNotAllowed",
    "UnknownTransition",
]


class OrderError(DomainError):
    """Base of the workflow's errors: `str(error)` is the message to show. Under the same root
    (`common.exceptions.DomainError`) as the store's `ConcurrencyError`."""


class OrderNotFound(OrderError, NotFound):
    def __init__(self):
        super().__init__(gettext("No such order."))


class UnknownTransition(OrderError, NotFound):
    def __init__(self, name: str):
        self.name = name
        super().__init__(gettext("There is no action called %(name)r.") % {"name": name})


class ActionNotPermitted(OrderError, NotPermitted):
    """The user's role may not do this (HTTP 403)."""


class TransitionNotAllowed(OrderError, Invalid):
    """The order's state (or a precondition) does not allow this action now."""


class OrderAlreadyPlaced(OrderError, Conflict):
    """A create repeated with the same order id (a retry, a resubmit): `order` is the order the
    first one made (HTTP 409; the order form answers it by showing that order)."""

    def __init__(self, order):
        self.order = order
        super().__init__(
            gettext("Order %(number)s was already created from this form.")
            % {"number": order.number}
        )


class OrderValidationError(OrderError, Invalid):
    """Input data is invalid. `errors` maps a field name ('' for the whole order) to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        first = next(iter(errors.values()))[0]
        super().__init__(
            first
            if len(errors) == 1
            else gettext("%(first)s (and %(more)d more)")
            % {"first": first, "more": len(errors) - 1}
        )


class SavedViewNotFound(OrderError, NotFound):
    def __init__(self):
        super().__init__(gettext("No such saved view."))


class InvalidSavedView(OrderError, Invalid):
    """A saved view's name or query is refused; the message says why (HTTP 422)."""


class ImportNotPermitted(OrderError, NotPermitted):
    def __init__(self):
        super().__init__(gettext("Only a Manager may import orders."))


class ImportJobNotFound(OrderError, NotFound):
    def __init__(self):
        super().__init__(gettext("No such import."))


class InvalidImport(OrderError, Invalid):
    """The uploaded files or the step asked for are refused; the message says why (422)."""
