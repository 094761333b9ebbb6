"""Issue #29 §5: the dashboard's period selector always shows the period the figures are
for; chart labels carry the year when the bars span two; the chart's numbers as a table."""

import datetime as dt
import re

import pytest

from accounts.models import Role
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db


def selected_period(html: str) -> str:
    select = re.search(r'<select [^>]*name="period"[^>]*>.*?</select>', html, re.S).group(0)
    return re.search(r'<option value="([^"]*)"[^>]*selected', select).group(1)


@pytest.fixture
def manager(acme):
    return factories.user(Role.MANAGER, acme)


def test_without_a_period_the_selector_shows_the_default_30_days_the_figures_are_for(
    client, manager
):
    log_in(client, manager)

    html = client.get("/").content.decode()

    assert selected_period(html) == "30"
    assert "(30 days)" in html


def test_explicit_dates_show_in_the_selector_as_the_dates(client, manager):
    log_in(client, manager)

    html = client.get("/?from=2026-01-01&to=2026-01-10").content.decode()

    assert selected_period(html) == ""
    assert "(10 days)" in html


def test_a_chosen_period_stays_selected(client, manager):
    log_in(client, manager)

    assert selected_period(client.get("/?period=90").content.decode()) == "90"


def test_day_labels_carry_the_year_when_the_span_crosses_one(client, manager):
    factories.place(manager, at=dt.datetime(2025, 12, 31, 12, tzinfo=dt.UTC))
    log_in(client, manager)

    crossing = client.get("/?from=2025-12-20&to=2026-01-10").content.decode()
    within = client.get("/?from=2026-01-01&to=2026-01-10").content.decode()

    assert re.search(r'class="bar-label"[^>]*>2025-12-20<', crossing)
    assert re.search(r'class="bar-label"[^>]*>01-01<', within)


def test_the_chart_has_a_table_of_its_numbers(client, manager):
    factories.place(manager, at=dt.datetime(2025, 12, 31, 12, tzinfo=dt.UTC))
    log_in(client, manager)

    html = client.get("/?from=2025-12-30&to=2026-01-01").content.decode()

    table = html[html.index('data-testid="chart-table"') :]
    rows = re.findall(
        r'<tr><th scope="row"[^>]*>([^<]+)</th><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td></tr>', table
    )
    assert rows == [("2025-12-30", "0", "0"), ("2025-12-31", "1", "0"), ("2026-01-01", "0", "0")]
