"""Issue #29: an amount cannot be mistyped. Amounts are typed in the reader's locale ("12,50"
in German, "12.50" in English) into a decimal text box, never a number input; an entry that
could mean two things is refused with what was understood, never silently scaled."""

import re
from decimal import Decimal

import pytest

from common.typed_input import AmbiguousAmount, InputError, parse_local_amount
from orders import policy
from orders.models import Order
from projections.models import OrderSummary
from tests.factories import log_in

from .test_views_forms import order_data, row

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "locale", "amount"),
    [
        ("12.50", "en", "12.50"),
        ("12,50", "de", "12.50"),
        ("1,250.00", "en", "1250.00"),
        ("1.250,00", "de", "1250.00"),
        ("1250", "en", "1250"),
        ("1250", "de", "1250"),
        ("1.234.567", "de", "1234567"),
        (" 0,5 ", "de", "0.5"),
    ],
)
def test_an_amount_written_the_locales_way_is_read_exactly(text, locale, amount):
    assert parse_local_amount(text, locale) == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "locale", "message"),
    [
        ("12,50", "en", "“12,50” → 12.50?"),
        ("12.50", "de", "“12.50” → 12,50?"),
        ("1,250", "en", "“1,250” could be 1250 or 1.25"),
        ("1.250", "de", "“1.250” could be 1250 or 1,25"),
        ("1.250", "en", "“1.250” could be 1250 or 1.25"),
        ("1.250,00", "en", "“1.250,00” → 1250.00?"),
        ("1,250.00", "de", "“1,250.00” → 1250,00?"),
    ],
)
def test_an_amount_that_could_mean_two_things_is_refused_saying_what_was_understood(
    text, locale, message
):
    with pytest.raises(AmbiguousAmount) as refused:
        parse_local_amount(text, locale)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize("text", ["1e3", "1_000", "NaN", "12,5.0", "1,2,3", "½"])
def test_what_is_no_number_in_any_locale_is_refused(text):
    for locale in ("en", "de"):
        with pytest.raises(InputError):
            parse_local_amount(text, locale)


def test_the_unit_price_is_a_decimal_text_box_not_a_number_input(client, staff):
    log_in(client, staff)

    html = client.get("/orders/new/").content.decode()

    field = re.search(r'<input [^>]*name="lines-0-unit_price"[^>]*>', html).group(0)
    assert 'type="text"' in field and 'inputmode="decimal"' in field


def test_a_german_user_typing_12_comma_50_saves_12_50(client, staff):
    staff.language = "de"
    staff.save()
    log_in(client, staff)

    response = client.post("/orders/new/", order_data([row("A-1", 2, "12,50")]))

    assert response.status_code == 302
    summary = OrderSummary.objects.get()
    assert summary.lines[0]["unit_price"] == "12.50"
    assert summary.total_cents == 2500


def test_an_english_user_typing_12_comma_50_is_asked_and_nothing_is_saved(client, staff):
    log_in(client, staff)

    response = client.post("/orders/new/", order_data([row("A-1", 2, "12,50")]))

    assert response.status_code == 422
    assert "“12,50” → 12.50?" in response.content.decode()
    assert not Order.objects.exists()


def test_a_german_user_sees_the_amounts_of_the_edit_form_with_a_decimal_comma(client, staff):
    staff.language = "de"
    staff.save()
    log_in(client, staff)
    client.post("/orders/new/", order_data([row("A-1", 2, "1.234,50")]))
    order = Order.objects.get()

    html = client.get(f"/orders/{order.id}/edit/").content.decode()

    field = re.search(r'<input [^>]*name="lines-0-unit_price"[^>]*>', html).group(0)
    assert 'value="1234,50"' in field


def test_a_german_manager_sets_a_staff_limit_with_a_decimal_comma(client, manager):
    manager.language = "de"
    manager.save()
    log_in(client, manager)
    page = client.get("/orders/controls/").content.decode()
    version = re.search(r'name="version" value="(\d+)"', page).group(1)

    response = client.post(
        "/orders/controls/",
        {"version": version, "staff_limit": "1.500,50", "reopen_days": "14"},
    )

    assert response.status_code == 302
    assert policy.users_policy(manager).staff_limit == Decimal("1500.50")
