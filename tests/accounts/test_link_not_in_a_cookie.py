"""QA, session 4: with e-mail off, the set-password link shown to the Manager travelled in the
`messages` cookie (signed, not encrypted): anyone holding the cookie could read the link."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_a_set_password_link_never_travels_in_a_cookie(client, acme, manager, settings):
    settings.EMAIL_HOST = ""
    factories.log_in(client, manager)

    response = client.post(
        "/team/",
        {"username": "newbie", "email": "newbie@acme.example", "role": "Staff"},
    )

    assert response.status_code in (200, 302)
    # No message cookie at all (a compressed, signed cookie would not show the link in plain).
    assert not response.cookies.get("messages") or not response.cookies["messages"].value
    page = client.get("/team/").content.decode()
    assert "/accounts/set-password/" in page  # the Manager still sees it, once
