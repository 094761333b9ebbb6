"""Back/Forward never show a bare fragment: every URL that answers a whole page and an htmx
partial varies on HX-Request, partials are never stored, company pages stay out of shared
caches (issue #14 item 1, #15 item 5). The browser side is tests/e2e/test_flow.py."""

import pytest

from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part}


def pages(order) -> dict[str, str]:
    """Every URL that answers both a whole page and an htmx partial."""
    return {
        "dashboard": "/",
        "list": "/orders/?state=draft",
        "history": f"/orders/{order.id}/history/",
        "audit log": "/audit/",
    }


@pytest.mark.parametrize("page", ["dashboard", "list", "history", "audit log"])
def test_a_page_and_its_partial_vary_on_hx_request_and_the_partial_is_never_stored(
    client, acme, manager, page
):
    order = factories.order_in_state("draft", acme)
    log_in(client, manager)
    url = pages(order)[page]

    whole = client.get(url)
    partial = client.get(url, **HTMX)

    assert (whole.status_code, partial.status_code) == (200, 200)
    assert "<!doctype html>" in whole.content.decode()
    assert "<!doctype html>" not in partial.content.decode()
    assert "hx-request" in vary(whole) and "hx-request" in vary(partial)
    assert {"no-store", "private"} <= cache_control(partial)
    assert "private" in cache_control(whole) and "public" not in cache_control(whole)


def test_an_action_answered_with_panels_is_not_stored(client, acme, manager):
    order = factories.order_in_state("submitted", acme)
    log_in(client, manager)

    response = client.post(
        f"/orders/{order.id}/transitions/approve/", {"version": order.version}, **HTMX
    )

    assert response.status_code == 200
    assert {"no-store", "private"} <= cache_control(response)


@pytest.mark.parametrize("export", ["history", "audit log"])
def test_csv_exports_of_a_companys_data_stay_out_of_shared_caches(client, acme, manager, export):
    order = factories.order_in_state("approved", acme)
    log_in(client, manager)
    url = {"history": f"/orders/{order.id}/history/", "audit log": "/audit/"}[export]

    response = client.get(url, {"format": "csv"})

    assert response.status_code == 200
    assert "private" in cache_control(response)


def test_the_order_page_is_private(client, acme, staff):
    order = factories.order_in_state("draft", acme)
    log_in(client, staff)

    response = client.get(f"/orders/{order.id}/")

    assert {"private", "no-cache"} <= cache_control(response)
