"""Order numbers: COMPANY-000042, sequential per company, independent across companies."""

import pytest

from orders import commands
from orders.exceptions import OrderValidationError
from orders.models import Order
from tests import factories


@pytest.mark.django_db
def test_order_numbers_run_from_one_per_company_with_the_company_prefix(staff):
    orders = [factories.place(staff) for _ in range(3)]

    assert [o.number for o in orders] == ["ACME-000001", "ACME-000002", "ACME-000003"]
    assert [o.sequence for o in orders] == [1, 2, 3]


@pytest.mark.django_db
def test_each_company_counts_its_own_orders(staff, globex_staff):
    acme_first = factories.place(staff)
    globex_first = factories.place(globex_staff)
    acme_second = factories.place(staff)
    globex_second = factories.place(globex_staff)

    assert [acme_first.number, acme_second.number] == ["ACME-000001", "ACME-000002"]
    assert [globex_first.number, globex_second.number] == ["GLOBEX-000001", "GLOBEX-000002"]


@pytest.mark.django_db
def test_a_cancelled_order_keeps_its_number_and_the_next_order_does_not_reuse_it(acme, staff):
    cancelled = factories.order_in_state("cancelled", acme)

    following = factories.place(staff)

    assert Order.objects.get(pk=cancelled.id).number == "ACME-000001"
    assert following.number == "ACME-000002"


@pytest.mark.django_db
def test_a_refused_order_does_not_use_up_a_number(staff):
    with pytest.raises(OrderValidationError, match="Customer name is required"):
        commands.place_order(actor=staff, details=factories.details(" "), lines=factories.lines())

    assert factories.place(staff).number == "ACME-000001"
