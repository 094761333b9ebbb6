"""`date` and `time` filters that never fail on an extreme instant (a template builtin, see
settings.TEMPLATES, so it replaces Django's two filters in every template).

Django converts an aware datetime to the current time zone before these filters run
(`expects_localtime`); for an instant within a day of year 1 or 9999 that conversion leaves
Python's datetime range and raises OverflowError, a 500 for the whole page. The store refuses
such times now (`events.store.check_occurred_at`), but a log written earlier may hold one, and a
page must still show it: here it is shown in UTC (with the format's zone, if it has one)."""

from __future__ import annotations

import datetime as dt
import functools

from django.template import Library, defaultfilters
from django.utils import timezone
from django.utils.html import format_html

register = Library()


def local_or_utc(value):
    """An aware datetime in the current time zone, or in UTC when the current zone's time is
    outside Python's range; anything else unchanged."""
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        return value
    try:
        return timezone.localtime(value)
    except OverflowError:
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:  # not representable in UTC either: as written
            return value


@register.filter(expects_localtime=False, is_safe=False)
def date(value, arg=None):
    """Django's `date` filter, on `local_or_utc(value)`; a format of digits alone ("Y-m-d")
    written directly, as Django writes it (the dashboard's chart table has a row per bar)."""
    local = local_or_utc(value)
    numeric = _numeric_format(arg) if arg and isinstance(arg, str) else None
    numeric = numeric if isinstance(local, dt.date) else None
    if numeric and (isinstance(local, dt.datetime) or not _TIME_OF_DAY & set(arg)):
        return numeric.format(local)
    return defaultfilters.date(local, arg)


@register.filter(expects_localtime=False, is_safe=False)
def time(value, arg=None):
    """Django's `time` filter, on `local_or_utc(value)`."""
    return defaultfilters.time(local_or_utc(value), arg)


# Django's date-format letters that print the same digits in every language, as str.format
# fields (Y is four digits even for year 1, as Django writes it).
_DIGITS = {
    "Y": "{0.year:04d}",
    "m": "{0.month:02d}",
    "d": "{0.day:02d}",
    "H": "{0.hour:02d}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
}


_TIME_OF_DAY = {"H", "i", "s"}  # a date has none: Django's formatter refuses them


@functools.cache
def _numeric_format(fmt: str) -> str | None:
    """`fmt` as a str.format template when it has only digit letters and separators ("Y-m-d
    H:i"), else None (Django's formatter: names of months and days are translated)."""
    if "\\" in fmt or "{" in fmt or "}" in fmt:
        return None
    parts = []
    for char in fmt:
        if char in _DIGITS:
            parts.append(_DIGITS[char])
        elif char.isalpha():
            return None
        else:
            parts.append(char)
    return "".join(parts)


@register.simple_tag
def moment(value, fmt: str = "Y-m-d H:i", offset: bool = False):
    """An instant as the reader's local time (the active time zone, issue #29), in a `<time>`
    element: `fmt` (Django's date format) followed by the zone's abbreviation when it shows a
    time of day ("2026-03-29 03:15 CEST"), the ISO 8601 instant with its offset in
    `datetime`, and the offset and zone on hover (`title`: "UTC+02:00 Europe/Berlin"); with
    `offset`, the offset is written out too (the history: "… CEST (UTC+02:00)"). Empty for no
    value."""
    if value in (None, ""):
        return ""
    local = local_or_utc(value)
    if not isinstance(local, dt.datetime):
        return defaultfilters.date(value, fmt)
    # One pass of Django's formatter (the reader's format); the zone's parts straight from the
    # datetime (what the formats "T", "O" and "c" print), a list page shows fifty of these.
    # A format ending with the zone ("H:i:s T") has it written from the datetime as well:
    # Django's "T" prints nothing in the hour a clock goes back, the one hour that needs it.
    written = fmt.rstrip()
    ends_with_zone = written.endswith("T") and not written.endswith("\\T")
    if ends_with_zone:
        written = written[:-1].rstrip()
    numeric = _numeric_format(written)
    shown = numeric.format(local) if numeric else defaultfilters.date(local, written)
    zone = local.tzname() or ""
    if "H" in fmt or ends_with_zone:
        shown = f"{shown} {zone}"
    offset_digits = local.strftime("%z")  # +0200
    utc_offset = f"UTC{offset_digits[:3]}:{offset_digits[3:5]}"
    if offset:
        shown = f"{shown} ({utc_offset})"
    title = f"{utc_offset} {getattr(local.tzinfo, 'key', '')}".strip()
    if "H" not in fmt:  # a date only: the time of day on hover
        title = f"{_numeric_format('Y-m-d H:i').format(local)} {zone} ({title})"
    return format_html('<time datetime="{}" title="{}">{}</time>', local.isoformat(), title, shown)
