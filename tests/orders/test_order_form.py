"""The order form shows what will be saved (issue #14 item 4). The live preview total is
checked in the browser (tests/e2e/test_flow.py)."""

import re

import pytest

from events.models import Event
from projections.models import OrderSummary
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db


def form_data(**extra) -> dict[str, str]:
    return {
        "customer_name": "Initech",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-sku": "KEEP",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "1.00",
        "lines-1-sku": "GONE",
        "lines-1-quantity": "1",
        "lines-1-unit_price": "100",
        "lines-1-DELETE": "on",
        **extra,
    }


def row_of(html: str, sku: str) -> str:
    return re.search(rf'<tr class="([^"]*)">(?:(?!</tr>).)*value="{sku}"', html, re.S).group(1)


def preview_total(html: str) -> str:
    return re.search(r'id="order-total-preview"[^>]*>([^<]*)<', html).group(1)


def test_the_edit_form_previews_the_drafts_total(client, staff):
    order = factories.place(staff)  # 1 x 9.99 + 2 x 10.99
    log_in(client, staff)

    html = client.get(f"/orders/{order.id}/edit/").content.decode()

    assert preview_total(html) == "31.97"


def test_a_removed_line_stays_removed_when_the_form_comes_back_with_an_error(client, staff):
    log_in(client, staff)

    refused = client.post("/orders/new/", form_data(customer_email="not-an-email"))
    saved = client.post("/orders/new/", form_data(customer_email="buyer@initech.example"))

    assert refused.status_code == 422
    html = refused.content.decode()
    assert row_of(html, "KEEP") == "line-row"
    assert row_of(html, "GONE") == "line-row removed"
    assert re.search(r'name="lines-1-DELETE"[^>]*checked', html)
    assert preview_total(html) == "1.00"  # what would be saved, before any script runs
    assert saved.status_code == 302
    assert [line["sku"] for line in OrderSummary.objects.get().lines] == ["KEEP"]


@pytest.mark.parametrize(
    "management",
    [
        {"lines-TOTAL_FORMS": "-5"},
        {"lines-TOTAL_FORMS": "0"},  # a line was posted past the count
        {"lines-INITIAL_FORMS": "-1"},
        {"lines-INITIAL_FORMS": "3"},
    ],
)
def test_a_broken_formset_management_form_is_a_form_error(client, staff, management):
    log_in(client, staff)
    data = {**form_data(), **management}
    data.pop("lines-1-DELETE")

    response = client.post("/orders/new/", data)

    assert response.status_code == 422
    assert "line count does not match the lines sent" in response.content.decode()
    assert not Event.objects.exists()
