"""The customer and SKU read models are what a rebuild from the log makes of them."""

import dataclasses

import pytest

from customers import commands
from customers.validation import SkuDetails
from orders import commands as order_commands
from projections.models import OrderSummary
from tests import factories
from tests.projections.read_models import read_model_tables, run, snapshot, tables_of, wipe

from .factories import customer, customer_details, sku

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]


def test_customers_and_skus_rebuild_identically_and_verify(staff, manager, globex_staff):
    hooli = customer(staff, "Hooli", notes="Calls before noon")
    customer(globex_staff, "Hooli")
    commands.change_customer(
        hooli.pk,
        actor=staff,
        expected_version=1,
        details=dataclasses.replace(customer_details("Hooli Hardware"), reference="H-1"),
    )
    commands.deactivate_customer(hooli.pk, actor=manager, expected_version=2)
    bolt = sku(manager, "BOLT", price="0.25")
    commands.change_sku(
        bolt.pk, actor=manager, expected_version=1, details=SkuDetails(code="BOLT-M8")
    )
    commands.deactivate_sku(bolt.pk, actor=manager, expected_version=2)
    sku(manager, "NUT", price=None)
    umbrella = customer(staff, "Umbrella")
    details = factories.details("Umbrella")
    placed = order_commands.place_order(
        actor=staff,
        details=dataclasses.replace(details, customer_id=str(umbrella.pk)),
        lines=factories.lines(2),
    )
    order_commands.change_order(
        placed.id, actor=staff, expected_version=1, details=details, lines=factories.lines(1)
    )  # the customer taken off again
    order_commands.place_order(
        actor=staff,
        details=dataclasses.replace(details, customer_id=str(umbrella.pk)),
        lines=factories.lines(1),
    )
    assert OrderSummary.objects.filter(customer_id=umbrella.pk).count() == 1

    assert run("verify_projections") == "OK\n"
    inline = snapshot()
    assert len(inline[tables_of("customer")[0]]) == 3
    wipe(read_model_tables())
    run("rebuild_projections")
    assert snapshot() == inline
