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

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from .translatable import Translatable

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
        if _refused(char):
            raise InputError(
                Translatable(
                    gettext_noop(
                        "Remove the control character U+%(code)s: it is not text (only tabs and "
                        "line breaks are allowed)."
                    ),
                    {"code": f"{ord(char):04X}"},
                )
            )
    return unicodedata.normalize("NFC", value)


def check_text(errors: dict, name: str, value, *, label: str, limit: int, required: bool) -> str:
    """`value` stripped and in NFC (`clean_text`); a message in `errors[name]` (a command's
    {field: [messages]}, `label` naming the field) when it is not text, holds a control
    character, is missing though `required` or is longer than `limit` characters. The messages
    are `Translatable` (an import stores them and shows them in the reader's language); pass
    `label` lazily translated for the same reason."""
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        errors.setdefault(name, []).append(
            Translatable(gettext_noop("%(field)s must be text."), {"field": label})
        )
        return ""
    try:
        value = clean_text(value)
    except InputError as error:
        errors.setdefault(name, []).append(
            Translatable(
                gettext_noop("%(field)s: %(message)s"), {"field": label, "message": error.args[0]}
            )
        )
        return value
    if required and not value:
        errors.setdefault(name, []).append(
            Translatable(gettext_noop("%(field)s is required."), {"field": label})
        )
    elif len(value) > limit:
        errors.setdefault(name, []).append(
            Translatable(
                gettext_noop("%(field)s is too long (%(length)d characters; at most %(max)d)."),
                {"field": label, "length": len(value), "max": limit},
            )
        )
    return value


def text_problem(value: str) -> str:
    """Why `clean_text` refuses `value` (a `Translatable`), or "" if it accepts it."""
    try:
        clean_text(value)
    except InputError as error:
        return error.args[0]
    return ""


def search_key(value: str) -> str:
    """The form text is compared in when searching: NFC, case-folded (Unicode full case folding,
    e.g. "Ärzte" -> "ärzte", "STRASSE" and "Straße" -> "strasse"), NFC again. Used for what is
    searched (stored by the projections) and for what is searched for."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", value).casefold())


def without_refused(value: str) -> str:
    """`value` without the characters `clean_text` refuses: what a redrawn form may show of it
    (the field's error says what was removed)."""
    return "".join(char for char in value if not _refused(char))


def _refused(char: str) -> bool:
    """A control character (but tab and line breaks), lone surrogate or noncharacter."""
    if char in _WHITESPACE_CONTROLS:
        return False
    return unicodedata.category(char) in ("Cc", "Cs") or _is_noncharacter(char)


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


class AmbiguousAmount(InputError):
    """An amount that could mean two things in the reader's locale ("12,50" for an English
    reader, "1.250" for a German one): refused, never silently scaled. `str()` says what was
    understood and what to type instead."""


def parse_local_amount(text: str, locale: str) -> Decimal:
    """An amount as a person of `locale` (a language code: "de", "en") writes it, read with the
    locale's decimal and group symbols (Babel/CLDR: German "1.250,50", English "1,250.50"):
    plain ("12,50" in German, "12.50" in English), or with thousands groups *and* decimals
    ("1.250,00"). Refused with `AmbiguousAmount`, never guessed:
    - the other convention's decimal mark ("12,50" for English, "12.50" for German: a number
      input or a habit would read it 100x too large);
    - one separator followed by three digits ("1,250" or "1.250", in either language: a
      thousand and a quarter, or one and a quarter in the other convention);
    - the other convention in full ("1.250,00" for English).
    A plain ASCII number with neither symbol ("1250") is the same in both. InputError for
    anything else (`parse_amount`'s rules: no exponent, `_`, NaN...)."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    stripped = str(text).strip()
    if len(stripped) > MAX_DIGITS:
        return parse_amount(stripped)  # its message: too long
    decimal, group = get_decimal_symbol(locale), get_group_symbol(locale)
    sign, digits = (stripped[0], stripped[1:]) if stripped[:1] in "+-" else ("", stripped)
    d, g = re.escape(decimal), re.escape(group)
    if re.fullmatch(rf"[0-9]{{1,3}}[{d}{g}][0-9]{{3}}", digits, re.ASCII):
        # "1,250" or "1.250": a thousand and a quarter, or one and a quarter, depending on
        # the convention the person had in mind.
        raise _two_readings(stripped, sign, digits, decimal)
    if re.fullmatch(rf"(?:[0-9]+(?:{d}[0-9]*)?|{d}[0-9]+)", digits, re.ASCII):
        return Decimal(sign + digits.replace(decimal, "."))
    grouped_thousands = rf"[0-9]{{1,3}}(?:{g}[0-9]{{3}})+"
    if re.fullmatch(rf"{grouped_thousands}(?:{d}[0-9]+)?", digits, re.ASCII):
        # "1.234.567" or "1.250,00" in German: groups with decimals, or more than one group.
        return Decimal(sign + digits.replace(group, "").replace(decimal, "."))
    if re.fullmatch(rf"(?:[0-9]{{1,3}}(?:{d}[0-9]{{3}})*|[0-9]+){g}[0-9]+", digits, re.ASCII):
        # The other convention: its decimal mark last, maybe its groups before it.
        understood = digits.replace(decimal, "").replace(group, decimal)
        raise AmbiguousAmount(
            Translatable(
                gettext_noop(
                    "“%(text)s” → %(understood)s? Write amounts with “%(decimal)s” as the "
                    "decimal mark: type %(understood)s."
                ),
                {"text": _shown(stripped), "understood": sign + understood, "decimal": decimal},
            )
        )
    raise InputError(
        _("“%(text)s” is not a number: digits 0-9 and “%(decimal)s” as the decimal mark.")
        % {"text": _shown(stripped), "decimal": decimal}
    )


def _two_readings(text: str, sign: str, digits: str, decimal: str) -> AmbiguousAmount:
    whole = sign + digits[:-4] + digits[-3:]
    fraction = Decimal(sign + digits[:-4] + "." + digits[-3:])
    if fraction == fraction.quantize(Decimal("0.01")):
        fraction = fraction.quantize(Decimal("0.01"))
    return AmbiguousAmount(
        Translatable(
            gettext_noop(
                "“%(text)s” could be %(whole)s or %(fraction)s: type %(whole)s or %(fraction)s."
            ),
            {"text": _shown(text), "whole": whole, "fraction": str(fraction).replace(".", decimal)},
        )
    )


def _shown(text: str) -> str:
    shown = "".join(c if unicodedata.category(c)[0] != "C" else "\ufffd" for c in text[:30])
    return shown + ("…" if len(text) > 30 else "")
