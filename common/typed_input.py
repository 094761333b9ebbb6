"""What a person typed, read one way on every path into the log: text and numbers.

The web forms (through `common.form_fields`), `import_orders` and any later entry point (the
API) call these, and the order commands apply `clean_text` again as the authority, so a value
refused on one path is refused on all (issue #24 §4, §18, §19).

- Text is normalised to NFC (Unicode's canonical composition: "é" typed as e + U+0301 and as
  U+00E9 is the same text, stored and searched alike), and refused when it holds a control
  character (Unicode category Cc: NUL and the other C0/C1 controls, DEL; tab, line feed and
  carriage return are text), a lone surrogate (not encodable in UTF-8: PostgreSQL refuses it)
  or a noncharacter (U+FFFE, U+FFFF...).
- Numbers are plain decimal numbers in ASCII digits, as a person writes them: `10`, `1.5`,
  `0.50`, `.5`, spaces around. Not Python's literals: `1_000` (cpython#84137), `1e3`, `NaN`,
  `0x10`, other scripts' digits. A sign is read (so "-5" gets the range's message); the
  callers refuse a negative value, and `-0.00` with it (`Decimal.is_signed`) rather than
  store a negative zero (reaction#1340).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from django.utils.translation import gettext

# Longer numbers are no quantity or amount of ours (and `int()` of 4,300+ digits raises).
MAX_DIGITS = 40
_WHITESPACE_CONTROLS = frozenset("\t\n\r")
_WHOLE = re.compile(r"[-+]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


class InputError(ValueError):
    """The value is not acceptable; `str()` says why, fit to show the person."""


def clean_text(value: str) -> str:
    """`value` in NFC. Raises InputError for a control character, lone surrogate or
    noncharacter (see the module docstring)."""
    for char in value:
        if char in _WHITESPACE_CONTROLS:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or _is_noncharacter(char):
            raise InputError(
                gettext(
                    "Remove the control character U+%(code)s: it is not text (only tabs and line "
                    "breaks are allowed)."
                )
                % {"code": f"{ord(char):04X}"}
            )
    return unicodedata.normalize("NFC", value)


def text_problem(value: str) -> str:
    """Why `clean_text` refuses `value`, or "" if it accepts it."""
    try:
        clean_text(value)
    except InputError as error:
        return str(error)
    return ""


def search_key(value: str) -> str:
    """The form text is compared in when searching: NFC, case-folded (Unicode full case folding,
    e.g. "Ärzte" -> "ärzte", "STRASSE" and "Straße" -> "strasse"), NFC again. Used for what is
    searched (stored by the projections) and for what is searched for."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", value).casefold())


def _is_noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def parse_whole_number(text: str) -> int:
    """A whole number written in ASCII digits, optionally signed (spaces around allowed).
    InputError if not; the caller checks the range."""
    stripped = str(text).strip()
    if len(stripped) > MAX_DIGITS or not _WHOLE.fullmatch(stripped):
        raise InputError(
            gettext("“%(text)s” is not a whole number (digits 0-9 only).")
            % {"text": _shown(stripped)}
        )
    return int(stripped)


def parse_amount(text: str) -> Decimal:
    """A decimal number written in ASCII digits with an optional decimal point and sign (spaces
    around allowed): "12", "12.5", "0.50", ".5", "-5". InputError if not; the caller checks the
    range (a sign, `-0.00` included) and the decimal places."""
    stripped = str(text).strip()
    if len(stripped) > MAX_DIGITS or not _DECIMAL.fullmatch(stripped):
        raise InputError(
            f"“{_shown(stripped)}” is not a number (digits 0-9 and one decimal point; "
            "no separators or exponent)."
        )
    return Decimal(stripped)


def _shown(text: str) -> str:
    shown = "".join(c if unicodedata.category(c)[0] != "C" else "\ufffd" for c in text[:30])
    return shown + ("…" if len(text) > 30 else "")
