"""`date` and `time` filters that never fail on an extreme instant (a template builtin, see
settings.TEMPLATES, so it replaces Django's two filters in every template).

Django converts an aware datetime to the current time zone before these filters run
(`expects_localtime`); for an instant within a day of year 1 or 9999 that conversion leaves
Python's datetime range and raises OverflowError, a 500 for the whole page. The store refuses
such times now (`events.store.check_occurred_at`), but a log written earlier may hold one, and a
page must still show it: here it is shown in UTC (with the format's zone, if it has one)."""

from __future__ import annotations

import datetime as dt

from django.template import Library, defaultfilters
from django.utils import timezone

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
    """Django's `date` filter, on `local_or_utc(value)`."""
    return defaultfilters.date(local_or_utc(value), arg)


@register.filter(expects_localtime=False, is_safe=False)
def time(value, arg=None):
    """Django's `time` filter, on `local_or_utc(value)`."""
    return defaultfilters.time(local_or_utc(value), arg)
