"""Sealing personal fields of event payloads (crypto-shredding, invariant 7).

On append, every field an event class declares `personal` (registry) is encrypted with
AES-256-GCM (`cryptography`) under its data subject's key (`events.keystore`), and the payload
keeps `{"sealed": "v1:<key id>:<base64 of 12-byte nonce + ciphertext and tag>"}` in its place.
The associated data binds the ciphertext to its company, stream and field, so a sealed value
copied elsewhere does not open. The hash chain covers the payload as stored, ciphertext and all:
verifying the log never needs a key, and destroying a key changes no byte of the log.

On read, sealed values open back to what was written; a value whose key was destroyed opens as
`ERASED`, one whose key is missing from the store (lost, or an older copy restored) as
`UNREADABLE`. Pages, exports and the API show these markers where the data was; numbers,
states, amounts, times and actors are never sealed. Payloads written before sealing existed
hold their personal fields in clear and are read as they are (docs/privacy.md).
"""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import keystore

VERSION = "v1"
ERASED = "[erased]"  # the subject's key was destroyed: erased on purpose
UNREADABLE = "[unreadable]"  # the key is not in the key store (lost); see `unreadable_streams`
MARKERS = frozenset({ERASED, UNREADABLE})
_SEALED_TEXT = '{"sealed": "v1:'  # how a sealed value starts in stored JSON text


def seal_payload(event, payload: dict, *, company_id, stream_type: str, stream_id) -> dict:
    """`payload` (the event's `to_payload()`, changed in place and returned) with each non-empty
    personal field sealed under the key of `event.data_subject()` (default: the stream itself,
    "<stream type>:<stream id>"). Makes the subject's key on first use."""
    if not event.personal:
        return payload
    key = None
    for path in event.personal:
        container, name = parent_of(payload, path)
        value = None if container is None else container.get(name)
        if value is None or value == "" or is_sealed(value):
            continue
        if key is None:
            subject = event.data_subject() or f"{stream_type}:{stream_id}"
            key = keystore.key_for_subject(company_id, subject)
        container[name] = {"sealed": _encrypt(key, value, _aad(company_id, stream_id, path))}
    return payload


def is_sealed(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and len(value) == 1
        and isinstance(value.get("sealed"), str)
        and value["sealed"].startswith(f"{VERSION}:")
    )


def may_hold_sealed(payload_text: str) -> bool:
    """A cheap test on a payload's stored JSON text: False means nothing in it is sealed."""
    return _SEALED_TEXT in payload_text


_SEALED_KEY_ID = re.compile(r'"sealed": "v1:([^:"]+):')


def key_ids_in_text(payload_text: str) -> set[str]:
    """The ids of the keys that sealed anything in a payload's stored JSON text (`key_ids`
    without decoding it: a replay reads its batch's keys before it decodes any payload)."""
    return set(_SEALED_KEY_ID.findall(payload_text)) if _SEALED_TEXT in payload_text else set()


def open_payload(payload: dict, *, company_id, stream_id) -> dict:
    """A copy of `payload` with every sealed value opened (or replaced by ERASED/UNREADABLE);
    the payload itself when nothing in it is sealed."""
    if not _holds_sealed(payload):
        return payload
    return _open(payload, "", company_id, stream_id)


def open_stored(payload_text: str, *, company_id, stream_id) -> dict:
    """`open_payload` of a stored payload's JSON text that `may_hold_sealed`: decoded and opened
    in one walk (a replay's hot path: no separate walk to find out whether anything is sealed)."""
    return _open(json.loads(payload_text), "", company_id, stream_id)


def _holds_sealed(value) -> bool:
    if not isinstance(value, dict):
        return False
    return is_sealed(value) or any(_holds_sealed(item) for item in value.values())


def _open(value: dict, prefix: str, company_id, stream_id) -> dict:
    opened = {}
    for name, item in value.items():
        if type(item) is dict:  # JSON objects: a sealed value or a nested dataclass
            path = f"{prefix}{name}"
            if is_sealed(item):
                opened[name] = _decrypt(item["sealed"], _aad(company_id, stream_id, path))
            else:
                opened[name] = _open(item, f"{path}.", company_id, stream_id)
        else:
            opened[name] = item
    return opened


def key_ids(payload: dict) -> set[str]:
    """The ids of the keys that sealed anything in `payload`."""
    found = set()
    for item in payload.values():
        if is_sealed(item):
            found.add(item["sealed"].split(":", 2)[1])
        elif isinstance(item, dict):
            found |= key_ids(item)
    return found


def parent_of(payload: dict, path: str) -> tuple[dict | None, str]:
    *parents, name = path.split(".")
    container = payload
    for part in parents:
        container = container.get(part) if isinstance(container, dict) else None
    return (container if isinstance(container, dict) else None), name


def _aad(company_id, stream_id, path: str) -> bytes:
    return f"{_canonical(company_id)}|{_canonical(stream_id)}|{path}".encode()


def _canonical(value) -> str:
    """An id in its canonical UUID text (the stored one may be hex); a UUID is one already."""
    return str(value) if type(value) is uuid.UUID else str(uuid.UUID(str(value)))


def _encrypt(key: tuple[str, bytes], value: Any, aad: bytes) -> str:
    key_id, secret = key
    nonce = os.urandom(12)
    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    sealed = AESGCM(secret).encrypt(nonce, plain, aad)
    return f"{VERSION}:{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def _decrypt(token: str, aad: bytes) -> Any:
    _version, key_id, body = token.split(":", 2)
    secret = keystore.secret_of(key_id)
    if secret == keystore.DESTROYED:
        return ERASED
    if secret == keystore.MISSING:
        return UNREADABLE
    raw = base64.b64decode(body)
    try:
        plain = AESGCM(secret).decrypt(raw[:12], raw[12:], aad)
    except InvalidTag:  # moved from another stream or field, or altered (the chain says which)
        return UNREADABLE
    if plain[:1] == b'"' and b"\\" not in plain:
        # A JSON string with no escape in it (`_encrypt` escapes quotes and control
        # characters, and writes the rest as UTF-8): its text is what is between the quotes.
        return plain[1:-1].decode()
    return json.loads(plain)
