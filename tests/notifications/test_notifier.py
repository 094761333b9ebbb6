"""The notifier: who hears of what, at once, in the digest or never; what the mail says."""

import pytest
from django.core import mail

from accounts import commands as access
from accounts.models import Role
from events.models import Event
from events.store import recorded_event
from notifications import commands as preferences
from notifications.models import DigestEntry
from orders import commands
from outbox.engine import Outbox
from outbox.models import OutboxItem
from tests import factories

from .conftest import with_email

pytestmark = pytest.mark.django_db


def mails_to(address):
    return [m for m in mail.outbox if address in m.to]


def test_a_submitted_order_tells_each_manager_it_waits_for_their_approval(
    acme, globex, team, notify, settings
):
    globex_manager = with_email(factories.user(Role.MANAGER, globex))
    order = factories.advance(
        factories.place(team["staff"]), "submitted", staff=team["staff"], manager=team["manager"]
    )

    notify()

    assert sorted(m.to[0] for m in mail.outbox) == [
        "acme.manager2@example.com",
        "acme.manager@example.com",
    ]
    assert not mails_to(globex_manager.email)
    message = mails_to(team["manager"].email)[0]
    submitted = Event.objects.get(stream_id=order.id, event_type="OrderSubmitted")
    assert message.subject == f"Ledgerline: {order.number} waits for your approval"
    assert message.extra_headers["X-Ledgerline-Event"] == str(submitted.id)
    link = f"http://127.0.0.1:8000/orders/{order.id}/"  # SITE_URL unset
    assert link in message.body and "acme.staff" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f'href="{link}"' in html


def test_the_one_who_acts_is_not_told_of_their_own_act(acme, team, notify):
    order = factories.place(team["manager"])
    commands.submit(order.id, actor=team["manager"], expected_version=order.version)

    notify()

    assert [m.to for m in mail.outbox] == [["acme.manager2@example.com"]]


def test_a_rejection_tells_the_person_who_placed_the_order_with_the_reason(acme, team, notify):
    order = factories.advance(
        factories.place(team["staff"]), "submitted", staff=team["staff"], manager=team["manager"]
    )
    notify()
    mail.outbox.clear()
    commands.reject(order.id, reason="Budget exhausted", actor=team["manager"], expected_version=2)

    notify()

    (message,) = mail.outbox
    assert message.to == ["acme.staff@example.com"]
    assert message.subject == f"Ledgerline: {order.number} was rejected"
    assert "Budget exhausted" in message.body and "acme.manager" in message.body


def test_a_hold_tells_the_placer_and_delivery_only_if_they_asked(acme, team, notify):
    order = factories.place(team["staff2"])
    factories.advance(order, "on_hold", staff=team["staff"], manager=team["manager"])
    other = factories.advance(
        factories.place(team["staff2"]), "delivered", staff=team["staff"], manager=team["manager"]
    )
    mail.outbox.clear()
    notify()
    held = [m for m in mails_to("acme.staff2@example.com") if "on hold" in m.subject]
    assert len(held) == 1 and "Stock" in held[0].body
    assert not [m for m in mail.outbox if "delivered" in m.subject]

    preferences.set_preferences(user=team["staff2"], choices={"delivered_cancelled": "now"})
    commands.cancel(
        factories.place(team["staff2"]).id,
        reason="Duplicate",
        actor=team["staff"],
        expected_version=1,
    )
    notify()
    assert [m.subject for m in mail.outbox if "cancelled" in m.subject]
    assert other.state == "delivered"


def test_a_user_who_chose_never_gets_nothing(acme, team, notify):
    preferences.set_preferences(user=team["manager2"], choices={"approval": "never"})
    factories.advance(
        factories.place(team["staff"]), "submitted", staff=team["staff"], manager=team["manager"]
    )

    notify()

    assert [m.to for m in mail.outbox] == [["acme.manager@example.com"]]


def test_access_changes_reach_the_user_concerned(acme, team, notify):
    access.change_role(actor=team["manager"], user_id=team["staff"].pk, role="Auditor")
    access.deactivate_user(actor=team["manager"], user_id=team["staff2"].pk)

    notify()

    by_user = {m.to[0]: m for m in mail.outbox}
    assert set(by_user) == {"acme.staff@example.com", "acme.staff2@example.com"}
    assert "from Staff to Auditor" in by_user["acme.staff@example.com"].body
    assert "deactivated" in by_user["acme.staff2@example.com"].body


def test_a_mail_is_owed_once_per_event_and_recipient_even_when_handled_again(acme, team, notify):
    factories.advance(
        factories.place(team["staff"]), "submitted", staff=team["staff"], manager=team["manager"]
    )
    notify()
    event = recorded_event(Event.objects.get(event_type="OrderSubmitted"))

    notify.notifier.handle(event, Outbox("notifier", acme.pk, event.position, notify.clock()))
    notify()

    assert OutboxItem.objects.filter(subscriber="notifier").count() == 2
    assert len(mail.outbox) == 2


def test_the_digest_collects_what_users_chose_for_it_and_goes_out_once_a_day(
    acme, team, notify, clock, settings
):
    settings.STUCK_AFTER_DAYS = 7
    stuck = factories.advance(
        factories.place(team["staff2"]), "submitted", staff=team["staff2"], manager=team["manager"]
    )
    preferences.set_preferences(user=team["staff"], choices={"rejected_held": "digest"})
    order = factories.advance(
        factories.place(team["staff"]), "submitted", staff=team["staff"], manager=team["manager"]
    )
    commands.reject(order.id, reason="Too dear", actor=team["manager"], expected_version=2)
    notify()
    assert not mails_to("acme.staff@example.com")
    assert DigestEntry.objects.filter(user=team["staff"], digest_key="").count() == 1
    mail.outbox.clear()

    clock.advance(days=8, hours=1)  # 07:00, the digest hour, eight days on: one order stuck
    notify(rounds=3)
    clock.advance(hours=5)
    notify(rounds=2)  # the same day: no second digest

    digests = [m for m in mail.outbox if "digest" in m.subject]
    assert sorted(m.to[0] for m in digests) == [
        "acme.manager2@example.com",
        "acme.manager@example.com",
        "acme.staff@example.com",
    ]
    staff_digest = mails_to("acme.staff@example.com")[0]
    assert "Too dear" in staff_digest.body and order.number in staff_digest.body
    assert stuck.number not in staff_digest.body  # stuck orders are for those who approve
    manager_digest = mails_to("acme.manager@example.com")[0]
    assert stuck.number in manager_digest.body
    assert stuck.number in manager_digest.alternatives[0][0]

    mail.outbox.clear()
    clock.advance(hours=20)  # the next day, 08:00
    notify()
    assert len([m for m in mail.outbox if "digest" in m.subject]) == 2  # stuck orders only


def test_no_digest_before_the_hour(acme, team, notify, clock):
    factories.advance(
        factories.place(team["staff"]), "submitted", staff=team["staff"], manager=team["manager"]
    )
    preferences.set_preferences(user=team["staff"], choices={"rejected_held": "digest"})

    clock.advance(minutes=59)  # 06:59
    notify()

    assert not [m for m in mail.outbox if "digest" in m.subject]


def test_the_order_history_shows_who_was_told_and_when_but_no_address(client, acme, team, notify):
    order = factories.advance(
        factories.place(team["staff"]), "submitted", staff=team["staff"], manager=team["manager"]
    )
    notify()
    factories.log_in(client, team["auditor"])

    page = client.get(f"/orders/{order.id}/history/").content.decode()

    section = page[page.index('data-testid="history-notifications"') :]
    assert "acme.manager (Manager)" in section and "acme.manager2 (Manager)" in section
    assert "waits for your approval" in section
    assert "@example.com" not in section
    assert Event.objects.filter(stream_id=order.id).count() == 2  # no event per mail


def test_an_amended_order_tells_the_managers_it_waits_for_their_approval_again(acme, team, notify):
    """QA, session 4: an amendment sends the order back to approval (issue #28), but nobody
    heard of it."""
    order = factories.advance(
        factories.place(team["staff"]), "approved", staff=team["staff"], manager=team["manager"]
    )
    notify()
    mail.outbox.clear()

    commands.amend_order(
        order.id,
        actor=team["staff"],
        details=factories.details("Initech AG"),
        lines=factories.lines(1),
        reason="The customer moved",
        expected_version=order.version,
    )
    notify()

    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects == {
        "acme.manager@example.com": f"Ledgerline: {order.number} was amended and waits for your "
        "approval",
        "acme.manager2@example.com": f"Ledgerline: {order.number} was amended and waits for your "
        "approval",
    }


def test_mail_amounts_have_thousands_separators_as_the_pages_do(acme, team, notify):
    """QA finding: mails said "12345.60 EUR" where the pages say "€12,345.60"."""
    from decimal import Decimal

    from orders.events import Line

    order = commands.place_order(
        actor=team["staff"],
        details=factories.details(),
        lines=[Line(sku="X", description="Big", quantity=2, unit_price=Decimal("6172.80"))],
    )
    commands.submit(order.id, actor=team["staff"], expected_version=order.version)

    notify()

    message = mails_to(team["manager"].email)[0]
    assert "€12,345.60" in message.body
    assert "€12,345.60" in message.alternatives[0][0]


def test_the_digest_goes_at_the_digest_hour_of_the_company_time_zone(acme, team, notify, clock):
    """Issue #29: a company in New York hears at 07:00 New York time, not at 07:00 UTC."""
    acme.time_zone = "America/New_York"
    acme.save(update_fields=["time_zone"])
    preferences.set_preferences(user=team["staff"], choices={"rejected_held": "digest"})
    order = factories.advance(
        factories.place(team["staff"]), "submitted", staff=team["staff"], manager=team["manager"]
    )
    commands.reject(order.id, reason="Too dear", actor=team["manager"], expected_version=2)
    notify()

    clock.advance(hours=1)  # 07:00 UTC: 02:00 or 03:00 in New York
    notify()
    assert not mails_to("acme.staff@example.com")

    clock.advance(hours=5)  # 12:00 UTC: 07:00 or 08:00 in New York
    notify()
    assert len(mails_to("acme.staff@example.com")) == 1


def test_a_mail_shows_the_total_in_the_recipients_locale(acme, team, notify):
    """Issue #29: a German manager reads the total as "31,97 €" (thousands and decimal marks
    of their language), an English one as "€31.97"."""
    team["manager2"].language = "de"
    team["manager2"].save(update_fields=["language"])
    factories.advance(
        factories.place(team["staff"]), "submitted", staff=team["staff"], manager=team["manager"]
    )
    notify()

    english = mails_to("acme.manager@example.com")[0]
    german = mails_to("acme.manager2@example.com")[0]
    assert "€31.97" in english.body
    assert "31,97\xa0€" in german.body
