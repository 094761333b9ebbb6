"""Sessions: Django's own database session engine."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.factories import log_in

pytestmark = pytest.mark.django_db


def test_an_expired_session_logs_the_user_out(client, staff):
    log_in(client, staff)
    assert client.get("/orders/").status_code == 200

    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))

    response = client.get("/orders/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_logging_out_deletes_the_session(client, staff):
    log_in(client, staff)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()

    client.post("/accounts/logout/")

    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/orders/").status_code == 302
