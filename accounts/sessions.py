"""Database sessions whose row is read through `events.sqlrows` (`accounts.instances`).

Every request loads its session row; the ORM's `get()` compiles its query each time (~120 µs),
the lookup itself takes a few. Writing, expiry and everything else is Django's db backend.
"""

from django.contrib.sessions.backends import db
from django.utils import timezone

from events.sqlrows import select_instance


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        """As Django's: the unexpired row with this key, or None (and forget the key)."""
        session = select_instance(
            self.model,
            "{session_key} = %s AND {expire_date} > %s",
            session_key=self.session_key,
            expire_date=timezone.now(),
        )
        if session is None:
            self._session_key = None
        return session
