"""Demo users can try every page, "Forgot your password?" included."""

import pytest
from django.core import mail

from accounts.demo import seed_companies_and_users
from accounts.models import User
from tests.factories import send_owed_mail

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_db")]


def test_every_demo_user_has_an_address_and_can_ask_for_a_password_link(client):
    seed_companies_and_users()

    assert User.objects.get(username="acme.staff").email == "acme.staff@acme.example"
    assert not User.objects.filter(email="").exists()

    client.post("/accounts/password_reset/", {"email": "acme.staff@acme.example"})
    send_owed_mail()

    assert [message.to for message in mail.outbox] == [["acme.staff@acme.example"]]
