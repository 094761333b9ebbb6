"""Messages that can be translated again after they were written.

A validation message is formatted when it is raised ("Customer name is too long (250
characters; at most 200)."), in the language active then. Most are shown at once and that is
enough; but an import's refusals are stored and read later, maybe in another language, and a
formatted text cannot be looked up in the catalogue again. So a message with parameters is made
a `Translatable`: the text as before (a `str`, so every page, form and API shows it unchanged)
that also keeps its msgid and parameters; `as_part` turns it, or a Django `ValidationError`
(which keeps `message` and `params` the same way), into facts to store, and `part_text` says
them in the reader's language.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext

# A stored message: [msgid, {parameter: value}], where a value is plain text or a number, or
# itself a stored message (a translated label, a message inside a message).
Part = list


class Translatable(str):
    """`gettext(msgid) % params` in the active language, keeping `msgid` and `params`."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, params: dict | None = None):
        params = dict(params or {})
        self = super().__new__(cls, gettext(msgid) % params if params else gettext(msgid))
        self.msgid, self.params = msgid, params
        return self

    def __reduce__(self):
        # Pickled (a cache, a session) as the plain text it shows.
        return (str, (str(self),))


def as_part(message) -> Part | str:
    """`message` as facts to store: [msgid, params] for a `Translatable`, a lazy text or a
    `ValidationError` (its first message), with parameters that are such messages stored the
    same way; any other text as it is."""
    if isinstance(message, ValidationError):
        error = message.error_list[0]
        return _part(error.message, error.params or {})
    if isinstance(message, Translatable):
        return _part(message.msgid, message.params)
    if isinstance(message, Promise):
        return _part(message, {})
    return message if isinstance(message, int | float) else str(message)


def is_part(value) -> bool:
    """Whether a stored value is a message (`as_part`), JSON having made its tuple a list."""
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], dict)
    )


def part_text(part: Part, mark=None) -> str:
    """The stored message `part` in the active language; `mark(text)`, if given, is applied to
    the message and to each parameter (a page escapes them)."""
    mark = mark or (lambda text: text)
    msgid, params = part
    text = mark(gettext(msgid))
    if not params:
        return text
    return text % {key: _param_text(value, mark) for key, value in params.items()}


def _param_text(value, mark):
    if is_part(value):
        return part_text(value, mark)
    # Numbers stay numbers, for "%(length)d".
    return value if isinstance(value, int | float) else mark(str(value))


def _part(msgid, params: dict) -> Part:
    if isinstance(msgid, Promise):
        with translation.override("en"):  # the msgid of a lazy text: its English
            msgid = str(msgid)
    return [msgid, {key: as_part(value) for key, value in params.items()}]
