"""One error root and one error -> status table for every app's refusals."""

import uuid

import pytest

from accounts import exceptions as access
from common.exceptions import DomainError, status_for
from events.exceptions import ConcurrencyError
from orders import exceptions as order


class _Order:
    number = "ACME-000001"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (order.OrderNotFound(), 404),
        (order.UnknownTransition("fly"), 404),
        (order.ActionNotPermitted("Your role may not approve this order."), 403),
        (ConcurrencyError(uuid.uuid4(), 1, 2), 409),
        (order.OrderAlreadyPlaced(_Order()), 409),
        (order.TransitionNotAllowed("Order ACME-000001 is draft."), 422),
        (order.OrderValidationError({"": ["An order needs a line."]}), 422),
        (access.UserNotFound(), 404),
        (access.TeamNotPermitted(), 403),
        (access.LastManager("acme.manager"), 422),
        (access.InvalidAccessChange({"role": ["Pick a role."]}), 422),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_every_domain_error_has_one_root_and_its_status_from_one_table(error, status):
    assert isinstance(error, DomainError)
    assert status_for(error) == status


def test_a_stale_version_is_caught_with_the_orders_errors():
    """ConcurrencyError (the store's) and OrderError (the workflow's) share the root, so one
    `except DomainError` catches both."""
    with pytest.raises(DomainError):
        raise ConcurrencyError(uuid.uuid4(), 1, 2)
