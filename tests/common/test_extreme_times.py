"""No page fails on an extreme stored instant, in any time zone (QA: 9999-12-31T23:59:59Z in
Europe/Berlin made every page of the company a 500). The store refuses such times now
(events/store.check_occurred_at); these events stand for a log written before that."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from events import store
from orders import commands
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

EXTREMES = {
    "last second": dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    "first second": dt.datetime(1, 1, 1, tzinfo=dt.UTC),
}
ZONES = ["Europe/Berlin", "Pacific/Kiritimati", "America/Los_Angeles", "Etc/GMT+12"]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("moment", EXTREMES.values(), ids=EXTREMES.keys())
def test_every_page_of_an_order_with_an_extreme_time_answers_in_any_time_zone(
    client, acme, staff, manager, settings, zone, moment
):
    # Written before the store (and the commands) refused it.
    with mock.patch.object(store, "check_occurred_at"), mock.patch.object(commands, "check_at"):
        order = factories.place(staff, at=moment)
        commands.add_note(order.id, actor=staff, expected_version=1, text="n", at=moment)
    settings.TIME_ZONE = zone
    timezone.deactivate()
    log_in(client, manager)

    pages = [
        "/",
        "/orders/",
        f"/orders/{order.id}/",
        f"/orders/{order.id}/edit/",
        f"/orders/{order.id}/history/",
        f"/orders/{order.id}/history/?as_of=2025-01-01T00:00",
        f"/orders/{order.id}/history/?format=csv",
        "/audit/",
        "/audit/?format=csv",
    ]
    statuses = {url: client.get(url).status_code for url in pages}

    assert statuses == dict.fromkeys(pages, 200)
