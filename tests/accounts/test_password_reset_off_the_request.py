"""Issue #24 items 10, 11 and 22.

10. The password-reset request answers the same way, doing the same work, for a known and an
    unknown address: the request only owes the worker a look-up (one outbox row); the lookup
    and the mail happen in the worker, so the answer never waits for the mail server
    (`test_password_reset_smtp.py` runs the real worker and SMTP server).
11. A user who never set a password (an invitation that expired) gets a new invitation from
    the login page, and an operator can issue one: `manage.py issue_password_link`.
22. The mails state the link's validity properly (PASSWORD_RESET_TIMEOUT is 60 minutes).
"""

import datetime as dt
import io
import re
from unittest import mock

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import commands
from accounts.models import Role
from accounts.tokens import PasswordLinkTokenGenerator
from events.models import Event
from tests import factories
from tests.factories import send_owed_mail

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_db")]

PASSWORD = "Another-long-passphrase-42"


def ask_reset(client, email: str):
    return client.post("/accounts/password_reset/", {"email": email})


def sql_shapes(queries) -> list[str]:
    return [re.sub(r"'[^']*'", "?", q["sql"]) for q in queries.captured_queries]


def link_in(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/(?:reset|set-password)/\S+/)", body).group(1)


def sets_password(client, url: str) -> bool:
    form = client.get(url, follow=True)
    if not form.context["validlink"]:
        return False
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    return done.status_code == 302


@pytest.fixture
def staff_with_address(acme):
    staff = factories.user(Role.STAFF, acme)
    staff.email = "staff@acme.example"
    staff.save()
    return staff


def test_known_and_unknown_addresses_get_the_same_answer_from_the_same_work(
    client, staff_with_address
):
    with CaptureQueriesContext(connection) as known_queries:
        known = ask_reset(client, "staff@acme.example")
    with CaptureQueriesContext(connection) as unknown_queries:
        unknown = ask_reset(client, "nobody@acme.example")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert sql_shapes(known_queries) == sql_shapes(unknown_queries)
    assert not any("accounts_user" in sql for sql in sql_shapes(known_queries))
    send_owed_mail()
    (message,) = mail.outbox
    assert message.to == ["staff@acme.example"]


def test_a_user_whose_invitation_expired_gets_a_new_one_from_the_login_page(client, manager):
    first = commands.add_user(
        actor=manager,
        username="acme.peter",
        first_name="",
        last_name="",
        email="peter@acme.test",
        role="Staff",
    ).url
    later = dt.datetime.now() + dt.timedelta(minutes=61)
    with mock.patch.object(PasswordLinkTokenGenerator, "_now", return_value=later):
        assert not client.get(first, follow=True).context["validlink"]  # expired

        ask_reset(client, "peter@acme.test")
        send_owed_mail()
        (message,) = mail.outbox
        assert message.to == ["peter@acme.test"]
        assert "Your username is acme.peter" in message.body
        assert sets_password(client, link_in(message.body))
    assert Event.objects.filter(event_type="PasswordLinkIssued").count() == 2


def test_a_reset_voids_the_earlier_links(client, manager):
    peter = commands.add_user(
        actor=manager,
        username="acme.peter",
        first_name="",
        last_name="",
        email="peter@acme.test",
        role="Staff",
    )
    ask_reset(client, "peter@acme.test")
    send_owed_mail()

    assert not client.get(peter.url, follow=True).context["validlink"]
    assert sets_password(client, link_in(mail.outbox[0].body))


def test_a_deactivated_user_gets_no_link(client, manager, staff_with_address):
    commands.deactivate_user(actor=manager, user_id=staff_with_address.pk)

    ask_reset(client, "staff@acme.example")
    send_owed_mail()

    assert mail.outbox == []


@pytest.mark.parametrize(
    ("minutes", "said"), [(60, "1 hour"), (90, "1 hour, 30 minutes"), (2880, "2 days")]
)
def test_the_mails_say_how_long_the_link_works(
    client, manager, staff_with_address, settings, minutes, said
):
    settings.PASSWORD_RESET_TIMEOUT = minutes * 60
    settings.EMAIL_HOST = "smtp.example.test"
    commands.add_user(
        actor=manager,
        username="acme.peter",
        first_name="",
        last_name="",
        email="peter@acme.test",
        role="Staff",
    )
    ask_reset(client, "staff@acme.example")
    send_owed_mail()

    invitation, reset = mail.outbox
    assert f"for {said}" in invitation.body
    assert f"for {said}" in reset.body
    assert "0 days" not in invitation.body + reset.body


def test_an_operator_issues_a_new_invitation_with_a_command(client, manager):
    commands.add_user(
        actor=manager,
        username="acme.peter",
        first_name="",
        last_name="",
        email="peter@acme.test",
        role="Staff",
    )
    out = io.StringIO()

    call_command("issue_password_link", "--company", "acme", "--username", "acme.peter", stdout=out)

    assert "acme.peter" in out.getvalue()
    assert sets_password(client, re.search(r"(/accounts/set-password/\S+/)", out.getvalue())[1])


def test_the_command_never_shows_a_link_for_a_user_who_has_a_password(staff_with_address):
    with pytest.raises(CommandError, match="already has a password"):
        call_command(
            "issue_password_link", "--company", "acme", "--username", staff_with_address.username
        )
    with pytest.raises(CommandError, match="no active user"):
        call_command("issue_password_link", "--company", "globex", "--username", "acme.staff")
