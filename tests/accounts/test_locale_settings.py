"""Issue #29: a user's own language and time zone in "My settings", the company's time zone
on the company controls page; every time shown follows the user's zone, else the company's."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Company, User
from events.models import Event
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db


def test_my_settings_saves_my_language_and_time_zone(client, staff):
    log_in(client, staff)

    page = client.get("/settings/").content.decode()
    assert 'data-testid="locale-form"' in page
    response = client.post("/settings/locale/", {"language": "de", "time_zone": "America/New_York"})

    assert response.status_code == 302
    staff.refresh_from_db()
    assert (staff.language, staff.time_zone) == ("de", "America/New_York")
    assert (
        not Event.objects.filter(stream_id=staff.pk, event_type__startswith="User")
        .exclude(event_type="UserAdded")
        .exists()
    )  # a display setting, not an access fact


def test_blank_choices_mean_the_browser_language_and_the_company_zone(client, staff):
    staff.language, staff.time_zone = "de", "Asia/Tokyo"
    staff.save()
    log_in(client, staff)

    client.post("/settings/locale/", {"language": "", "time_zone": ""})

    staff.refresh_from_db()
    assert (staff.language, staff.time_zone) == ("", "")


@pytest.mark.parametrize(
    "data", [{"language": "fr", "time_zone": ""}, {"language": "", "time_zone": "Mars/Olympus"}]
)
def test_a_language_or_zone_not_offered_is_refused_and_nothing_changes(client, staff, data):
    log_in(client, staff)

    response = client.post("/settings/locale/", data)

    assert response.status_code == 400
    staff.refresh_from_db()
    assert (staff.language, staff.time_zone) == ("", "")


def test_a_manager_sets_the_company_time_zone_and_it_is_recorded(client, manager):
    log_in(client, manager)
    page = client.get("/orders/controls/").content.decode()
    assert 'data-testid="time-zone-form"' in page

    response = client.post("/company/time-zone/", {"time_zone": "Europe/Berlin"})

    assert response.status_code == 302
    company = Company.objects.get(pk=manager.company_id)
    assert company.time_zone == "Europe/Berlin"
    event = Event.objects.get(stream_id=company.pk, event_type="CompanyTimeZoneChanged")
    assert event.payload == {"time_zone": "Europe/Berlin"}


def test_staff_cannot_set_the_company_time_zone(client, staff):
    log_in(client, staff)

    response = client.post("/company/time-zone/", {"time_zone": "Europe/Berlin"})

    assert response.status_code == 403
    assert Company.objects.get(pk=staff.company_id).time_zone == "UTC"


def test_an_unknown_company_zone_is_refused(client, manager):
    log_in(client, manager)

    client.post("/company/time-zone/", {"time_zone": "Mars/Olympus"})

    assert Company.objects.get(pk=manager.company_id).time_zone == "UTC"
    assert not Event.objects.filter(event_type="CompanyTimeZoneChanged").exists()


def test_times_follow_the_user_zone_else_the_company_zone(client, staff):
    staff.company.time_zone = "Europe/Berlin"
    staff.company.save()
    order = factories.place(staff, at=dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC))
    log_in(client, staff)

    company_view = client.get(f"/orders/{order.id}/").content.decode()
    User.objects.filter(pk=staff.pk).update(time_zone="America/New_York")
    own_view = client.get(f"/orders/{order.id}/").content.decode()

    assert "2026-07-01 12:00 CEST" in company_view
    assert 'title="UTC+02:00 Europe/Berlin"' in company_view
    assert "2026-07-01 06:00 EDT" in own_view


def test_the_order_list_date_filters_mean_local_days(client, staff):
    staff.company.time_zone = "Europe/Berlin"
    staff.company.save()
    # 31 March 22:30 UTC is 1 April 00:30 in Berlin.
    factories.place(staff, at=dt.datetime(2026, 3, 31, 22, 30, tzinfo=dt.UTC))
    log_in(client, staff)

    def numbers(query: str) -> list[str]:
        html = client.get(f"/orders/?{query}").content.decode()
        return re.findall(r'class="mono">(ACME-\d+)</a>', html)

    assert numbers("placed_after=2026-04-01") == ["ACME-000001"]
    assert numbers("placed_before=2026-03-31") == []
    assert numbers("placed_after=2026-04-01&placed_before=2026-04-01") == ["ACME-000001"]


def test_a_page_reads_the_user_and_company_once_for_both_language_and_time_zone(client, staff):
    """The user's language and zone (else the company's) come from the one read of the user,
    with its company, that authentication makes: they cost a page no query of their own."""
    staff.language, staff.time_zone = "de", ""
    staff.save()
    staff.company.time_zone = "Europe/Berlin"
    staff.company.save()
    log_in(client, staff)
    client.get("/settings/")  # the session's end moves at most once a minute: not measured

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/settings/")

    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    assert "Europe/Berlin" in response.content.decode()
    sql = [query["sql"] for query in queries]
    reads_of_the_user = [q for q in sql if re.search(r'FROM "accounts_user"\s', q)]
    assert len(reads_of_the_user) == 1, reads_of_the_user
    assert 'JOIN "accounts_company"' in reads_of_the_user[0]
    assert not [q for q in sql if re.search(r'FROM "accounts_company"\s', q)]
    assert len(sql) == QUERIES_OF_MY_SETTINGS, "\n".join(q[:150] for q in sql)


# Measured with the language and the zone in two middlewares, and again with them in one: the
# page did not grow. 6 → 5 when the user's own and its groups' permissions became one read;
# 5 → 4 when the user's groups (the role in the navigation) came with them (#25).
QUERIES_OF_MY_SETTINGS = 4
