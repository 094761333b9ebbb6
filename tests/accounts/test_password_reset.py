"""Password reset is real (issue #14 item 7): linked from the login page, themed, e-mailed."""

import re

import pytest
from django.core import mail

from tests.factories import log_in, send_owed_mail

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_db")]

NEW_PASSWORD = "Another-long-passphrase-42"


def test_the_login_page_links_to_password_reset(client):
    html = client.get("/accounts/login/").content.decode()

    assert 'href="/accounts/password_reset/"' in html


def test_a_reset_by_e_mail_sets_a_new_password(client, staff):
    staff.email = "staff@acme.example"
    staff.save()

    asked = client.post("/accounts/password_reset/", {"email": "staff@acme.example"}, follow=True)
    send_owed_mail()
    (message,) = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert "Check your e-mail" in asked.content.decode()
    assert message.to == ["staff@acme.example"]
    assert message.subject == "Ledgerline: reset your password"
    assert "Choose a new password" in form.content.decode()
    assert "Your new password is set" in done.content.decode()
    logged_in = client.post(
        "/accounts/login/", {"username": staff.username, "password": NEW_PASSWORD}
    )
    assert logged_in.status_code == 302


def test_the_reset_pages_are_ledgerlines_not_the_admins(client):
    html = client.get("/accounts/password_reset/").content.decode()

    assert "Reset your password" in html
    assert "Django administration" not in html
    assert "/static/css/app.css" in html


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client):
    response = client.post("/accounts/password_reset/", {"email": "nobody@x.example"}, follow=True)
    send_owed_mail()

    assert "Check your e-mail" in response.content.decode()
    assert mail.outbox == []


def test_a_used_link_says_it_no_longer_works(client, staff):
    staff.email = "staff@acme.example"
    staff.save()
    client.post("/accounts/password_reset/", {"email": staff.email})
    send_owed_mail()
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    again = client.get(link, follow=True)

    assert "This link no longer works" in again.content.decode()


def test_a_logged_in_person_can_still_reset(client, staff):
    log_in(client, staff)

    assert client.get("/accounts/password_reset/").status_code == 200
