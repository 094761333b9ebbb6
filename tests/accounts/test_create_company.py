"""`manage.py create_company`: a company and its first Manager, with a one-time password link."""

import io
import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from accounts.models import Company, Role, User
from events.models import Event
from tests.factories import send_owed_mail

pytestmark = pytest.mark.django_db

ARGS = dict(
    name="Initech", slug="initech", currency="usd", manager="bill", email="bill@initech.test"
)


def create(**overrides) -> str:
    options = {**ARGS, **overrides}
    out = io.StringIO()
    call_command(
        "create_company",
        *(f"--{name}={value}" for name, value in options.items()),
        stdout=out,
    )
    return out.getvalue()


def link_in(text: str) -> str:
    return re.search(r"(?:https?://[^/\s]+)?(/accounts/set-password/\S+)", text).group(1)


def test_create_company_makes_the_company_and_its_first_manager_with_a_password_link(client):
    out = create(**{"site-url": "https://orders.example.test"})

    company = Company.objects.get(slug="initech")
    assert (company.name, company.currency) == ("Initech", "USD")
    bill = User.objects.get(username="bill")
    assert bill.company == company and bill.email == "bill@initech.test"
    assert bill.role == Role.MANAGER.value and not bill.has_usable_password()
    assert "https://orders.example.test/accounts/set-password/" in out
    # The link sets the password once; then the manager logs in.
    page = client.get(link_in(out), follow=True)
    assert page.context["validlink"]
    password = "A-long-passphrase-2026"
    done = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
        follow=True,
    )
    assert done.status_code == 200
    logged_in = client.post("/accounts/login/", {"username": "bill", "password": password})
    assert logged_in.status_code == 302
    client.logout()
    assert not client.get(link_in(out), follow=True).context["validlink"]


def test_create_company_records_the_company_and_the_manager_in_the_event_log():
    create()
    company = Company.objects.get(slug="initech")
    types = list(Event.objects.filter(company=company).values_list("event_type", "stream_type"))
    assert types == [
        ("CompanyCreated", "company"),
        ("UserAdded", "user"),
        ("PasswordLinkIssued", "user"),
    ]
    call_command("verify_events", stdout=io.StringIO())


def test_create_company_emails_the_link_when_email_is_configured(settings):
    settings.EMAIL_HOST = "smtp.example.test"
    out = create()
    assert "e-mailed to bill@initech.test" in out
    assert mail.outbox == []  # owed to the worker, which sends it
    send_owed_mail()
    (message,) = mail.outbox
    assert message.to == ["bill@initech.test"]
    assert "/accounts/set-password/" in message.body


def test_create_company_does_not_email_without_email_configured():
    create()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slug": "acme", "name": "Other"}, "--slug: Company with this Slug already exists."),
        ({"name": "Acme Corp", "slug": "other"}, "--name: Company with this Name already exists."),
        ({"currency": "XYZ"}, "--currency: 'XYZ' is not an ISO 4217 currency code"),
        ({"currency": "EURO"}, "--currency:"),
        ({"manager": "acme.staff"}, "--manager: A user with that username already exists."),
        ({"email": "not-an-address"}, "--email: Enter a valid email address."),
        ({"slug": "has spaces"}, "--slug:"),
        # Order numbers are the slug in capitals: ACME beside acme would number alike (#24 §5).
        ({"slug": "ACME", "name": "Other"}, "--slug: Company with this Slug already exists."),
        ({"slug": "Acme", "name": "Other"}, "--slug: Company with this Slug already exists."),
        # Text into the log: one rule on every path (#24 §4).
        ({"name": "Bad\x1bCo"}, "--name: Remove the control character U+001B"),
        ({"email": "a\x00@b.test"}, "--email:"),
        # ISO 4217 codes that are no money an order can be priced in.
        ({"currency": "XXX"}, "--currency: 'XXX' is not a currency orders can be priced in"),
        ({"currency": "xts"}, "--currency: 'XTS' is not a currency orders can be priced in"),
        ({"currency": "XAU"}, "--currency: 'XAU' is not a currency orders can be priced in"),
    ],
)
def test_create_company_refuses_bad_input_clearly_and_writes_nothing(
    acme, staff, overrides, message
):
    companies, users, events = Company.objects.count(), User.objects.count(), Event.objects.count()
    with pytest.raises(CommandError) as refused:
        create(**overrides)
    assert message in str(refused.value)
    assert (Company.objects.count(), User.objects.count(), Event.objects.count()) == (
        companies,
        users,
        events,
    )


def test_two_slugs_differing_only_in_case_cannot_both_be_stored(acme):
    """The database itself refuses it (a unique index on the lower-cased slug)."""
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Company.objects.create(name="Other", slug="ACME", currency="EUR")


def test_a_slug_is_stored_in_lower_case_and_real_x_currencies_are_accepted():
    create(slug="IniTech", currency="xof")

    company = Company.objects.get(name="Initech")
    assert (company.slug, company.currency) == ("initech", "XOF")


def test_create_company_takes_a_time_zone_and_records_it():
    out = create(timezone="Europe/Berlin")

    company = Company.objects.get(slug="initech")
    assert company.time_zone == "Europe/Berlin"
    assert "Europe/Berlin" in out
    changed = Event.objects.get(stream_id=company.pk, event_type="CompanyTimeZoneChanged")
    assert changed.payload["time_zone"] == "Europe/Berlin"


def test_create_company_refuses_an_unknown_time_zone_and_creates_nothing():
    with pytest.raises(CommandError, match="--timezone: Unknown time zone Mars/Olympus"):
        create(timezone="Mars/Olympus")

    assert not Company.objects.filter(slug="initech").exists()


def test_a_company_created_without_a_time_zone_is_in_utc():
    create()

    assert Company.objects.get(slug="initech").time_zone == "UTC"
