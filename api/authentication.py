"""`Authorization: Bearer <key>`: the request acts as the key's user (accounts.ApiKey)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.commands import api_key_hash
from accounts.models import ApiKey, ApiKeyUser

# `last_used_at` is written at most this often per key: a write per request would queue every
# API call behind the database's single writer for a timestamp nobody needs to the second.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """DRF authentication by API key. Returns (ApiKeyUser, ApiKey); None without a Bearer
    header (DRF then answers 401 with `WWW-Authenticate: Bearer`)."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the key as: Authorization: Bearer <key>.")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.") from None
        api_key = (
            ApiKey.objects.filter(key_hash=api_key_hash(secret), revoked_at__isnull=True)
            .select_related("company")
            .first()
        )
        user = (
            ApiKeyUser.objects.select_related("company", "api_key")
            .filter(pk=api_key.user_id)
            .first()
            if api_key is not None
            else None
        )
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        _note_use(api_key)
        return user, api_key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


def _note_use(api_key: ApiKey) -> None:
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
