"""The session engine (`SESSION_ENGINE`): Django's database sessions, stored in
`accounts.models.UserSession` with the signed-in user's id beside the encoded data, as Django's
documentation shows for "Extending database-backed session engines"."""

import uuid

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore


class SessionStore(DBStore):
    """Django's database session store, writing `UserSession.user_id` from the session's
    `_auth_user_id` on every save: set at login (the key is cycled, so the row is new), None
    once logged out (the session is flushed)."""

    @classmethod
    def get_model_class(cls):
        from .models import UserSession

        return UserSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = uuid.UUID(str(data.get(SESSION_KEY)))
        except ValueError:  # not signed in ("None")
            session.user_id = None
        return session

    async def acreate_model_instance(self, data):
        return self.create_model_instance(data)
