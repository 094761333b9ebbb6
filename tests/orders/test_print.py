"""Issue #29 §6: an order on paper: a clean confirmation (company, customer, lines, totals,
state, reference) and a packing slip without prices; no navigation or buttons."""

import re

import pytest

from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db


def test_the_confirmation_has_company_customer_lines_total_state_and_reference(client, staff):
    order = factories.place(staff, line_count=2, customer="Hooli")
    log_in(client, staff)

    html = client.get(f"/orders/{order.id}/print/").content.decode()

    assert re.search(r'data-testid="print-company">Acme', html)
    assert 'data-testid="print-customer">Hooli<' in html
    assert 'data-testid="print-number">ACME-000001<' in html
    assert 'data-state="draft"' in html
    assert 'data-testid="print-total">€31.97<' in html
    assert "<nav" not in html and "<button" not in html and "<form" not in html


def test_the_packing_slip_has_no_prices(client, staff):
    order = factories.place(staff, line_count=2, customer="Hooli")
    log_in(client, staff)

    html = client.get(f"/orders/{order.id}/print/?document=packing-slip").content.decode()

    lines = html[html.index('data-testid="print-lines"') :]
    assert "SKU-0" in lines and "SKU-1" in lines
    assert "€" not in html and "31.97" not in html and "Unit price" not in html
    assert "<nav" not in html and "<button" not in html


def test_an_unknown_document_is_400(client, staff):
    order = factories.place(staff)
    log_in(client, staff)

    assert client.get(f"/orders/{order.id}/print/?document=invoice").status_code == 400


def test_another_company_order_cannot_be_printed(client, staff, globex_staff):
    order = factories.place(globex_staff)
    log_in(client, staff)

    assert client.get(f"/orders/{order.id}/print/").status_code == 404
