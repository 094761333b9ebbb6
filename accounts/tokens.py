"""The tokens of set-password links (invitations and resets): Django's
`PasswordResetTokenGenerator`, bound also to the user's access history.

Django's token is void once the password, the last login or the e-mail address changes, or
`PASSWORD_RESET_TIMEOUT` passes. Ours is also void once anything is appended to the user's
stream after it was made (issue #24 item 9): a newer link (`PasswordLinkIssued`), a role change,
a deactivation or reactivation. So issuing a link voids the older ones, a role change voids the
links issued before it, and deactivation voids them all, with no token stored anywhere.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.timesince import timeuntil

from events import store


class PasswordLinkTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "ledgerline.accounts.tokens.PasswordLinkTokenGenerator"

    def _make_hash_value(self, user, timestamp) -> str:
        version = store.stream_version(user.pk)
        return f"{super()._make_hash_value(user, timestamp)}|{user.is_active}|{version}"


password_link_tokens = PasswordLinkTokenGenerator()


def link_validity() -> str:
    """How long a link works, as a person says it ("1 hour", "1 hour, 30 minutes", "2 days"):
    `PASSWORD_RESET_TIMEOUT` (seconds) through Django's `timeuntil`, with plain spaces."""
    now = dt.datetime(2000, 1, 1)  # any moment: only the difference is spelled out
    later = now + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    return timeuntil(later, now, depth=2).replace("\xa0", " ")
