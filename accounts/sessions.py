"""Database sessions whose row is read through `events.sqlrows`.

Every request loads its session row; the ORM's `get()` compiles its query each time (~120 µs),
the lookup itself takes a few. Writing, expiry and everything else is Django's db backend.
"""

from django.contrib.sessions.backends import db
from django.utils import timezone

from events import sqlrows


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        """As Django's: the unexpired row with this key, or None (and forget the key)."""
        table = sqlrows.table(self.model)
        rows = table.select(
            "{session_key} = %s AND {expire_date} > %s".format_map(table.column_of),
            [self.session_key, table.prep("expire_date", timezone.now())],
        )
        if not rows:
            self._session_key = None
            return None
        values = [rows[0][name] for name in table.attnames]
        return self.model.from_db(table.using, table.attnames, values)
