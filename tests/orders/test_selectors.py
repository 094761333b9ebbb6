"""The order page selectors: the rows they load are the ORM's rows, scoped to the company."""

import pytest
from django.http import Http404

from orders import selectors
from orders.models import Order
from projections.models import OrderSummary
from tests import factories

pytestmark = pytest.mark.django_db


def field_values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_summary_and_the_state_row_are_the_orms_rows(staff):
    order = factories.order_in_state("shipped", staff.company)

    summary = selectors.order_summary(staff, order.id)
    state = selectors.order_state(staff, order.id)

    assert field_values(summary) == field_values(OrderSummary.objects.get(pk=order.id))
    assert field_values(state) == field_values(Order.objects.get(pk=order.id))
    assert not summary._state.adding and not state._state.adding
    assert summary.lines and state.state == "shipped"


def test_the_summary_with_its_state_row_are_the_orms_rows_from_one_read(staff):
    order = factories.order_in_state("approved", staff.company)

    summary, state = selectors.order_with_state(staff, order.id)

    assert field_values(summary) == field_values(OrderSummary.objects.get(pk=order.id))
    assert field_values(state) == field_values(Order.objects.get(pk=order.id))
    assert not state._state.adding and state._state.db == "default"
    assert state.get_available_user_state_transitions(staff)  # the FSM works on it


def test_another_companys_order_is_a_404(staff, globex_staff):
    order = factories.place(globex_staff)

    with pytest.raises(Http404):
        selectors.order_summary(staff, order.id)
    with pytest.raises(Http404):
        selectors.order_state(staff, order.id)
    with pytest.raises(Http404):
        selectors.order_with_state(staff, order.id)
