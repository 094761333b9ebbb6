"""Reading the environment (and `.env`): which settings module to use, and the casts that turn a
setting's text into a number, a yes/no, one of a few words or a request rate, refusing what the
setting cannot use.

A bare `cast=int` stops every `manage.py` with "invalid literal for int() with base 10: 'abc'",
naming neither the setting nor what it needs, and takes 0 or -5 where they mean nothing. These
casts raise ImproperlyConfigured naming the setting, the value given and what it needs.
"""

import math
import re
from collections.abc import Callable

from decouple import config, strtobool
from django.core.exceptions import ImproperlyConfigured


def default_settings_module() -> str:
    return config("DJANGO_SETTINGS_MODULE", default="config.settings.dev")


def number(
    name: str,
    *,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
    whole: bool = True,
    meaning: str = "",
) -> Callable[[str | float], int | float]:
    """A cast for `decouple.config(name, cast=...)`: the value as an int (`whole`) or a finite
    float, at least `minimum` (or more than `above`) and at most `maximum`.

    `meaning` says what a special value does, for the message (e.g. "0: no limit"). Raises
    ImproperlyConfigured naming `name`, the value and what is needed.
    """
    needs = "a whole number" if whole else "a number"
    if minimum is not None and maximum is not None:
        needs += f" from {minimum} to {maximum}"
    elif minimum is not None:
        needs += f", at least {minimum}"
    elif above is not None:
        needs += f" more than {above}" + (f" and at most {maximum}" if maximum is not None else "")
    elif maximum is not None:
        needs += f", at most {maximum}"
    if meaning:
        needs += f" ({meaning})"

    def cast(value: str | float) -> int | float:
        try:
            parsed = int(value) if whole else float(value)
        except (TypeError, ValueError):
            parsed = None
        if (
            parsed is None
            or not math.isfinite(parsed)
            or (minimum is not None and parsed < minimum)
            or (above is not None and parsed <= above)
            or (maximum is not None and parsed > maximum)
        ):
            raise ImproperlyConfigured(f"{name} must be {needs}; it is {value!r}.")
        return parsed

    return cast


def yes_or_no(name: str) -> Callable[[str | bool], bool]:
    """A cast for `decouple.config(name, cast=...)`: python-decouple's truth values (True/False,
    yes/no, on/off, 1/0, y/n, t/f), or ImproperlyConfigured naming `name`."""

    def cast(value: str | bool) -> bool:
        value = value.strip() if isinstance(value, str) else value  # as numbers and words are
        try:
            return bool(strtobool(value))
        except (AttributeError, ValueError):
            raise ImproperlyConfigured(
                f"{name} must be True or False (or yes/no, on/off, 1/0); it is {value!r}."
            ) from None

    return cast


def one_of(
    name: str, choices: tuple[str, ...], aliases: dict[str, str] | None = None
) -> Callable[[str], str]:
    """A cast for `decouple.config(name, cast=...)`: one of `choices` (upper-case words such as
    logging's levels), whatever the case it is written in, or another name of one (`aliases`:
    logging's own, WARN for WARNING), else ImproperlyConfigured naming `name`."""

    def cast(value: str) -> str:
        word = str(value).strip().upper()
        word = (aliases or {}).get(word, word)
        if word not in choices:
            raise ImproperlyConfigured(
                f"{name} must be one of {', '.join(choices)}; it is {value!r}."
            )
        return word

    return cast


# Django REST framework's throttle rate: requests, "/", a period of which only the first letter
# counts (`SimpleRateThrottle.parse_rate`: s, m, h or d); anything else fails every API request.
# Only the periods' names are taken: "10/ms" would be 10 a minute, "10/decade" 10 a day.
_RATE = re.compile(r"([0-9]+)/(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)")


def request_rate(name: str) -> Callable[[str], str]:
    """A cast for `decouple.config(name, cast=...)`: a DRF throttle rate of at least one request
    ("600/minute", "10/s"), or ImproperlyConfigured naming `name`."""

    def cast(value: str) -> str:
        match = _RATE.fullmatch(str(value).strip().lower())
        if match is None or int(match[1]) < 1:
            raise ImproperlyConfigured(
                f"{name} must be a number of requests, at least 1, per second, minute, hour or "
                f"day (e.g. 600/minute); it is {value!r}."
            )
        return f"{int(match[1])}/{match[2]}"

    return cast


def listen_address(name: str) -> Callable[[str], str]:
    """A cast for `decouple.config(name, cast=...)`: waitress's `listen`, host:port (`*:8000`,
    `[::1]:8000`; several separated by spaces), each port from 1 to 65535, or
    ImproperlyConfigured naming `name`. Waitress itself says "Invalid host/port specified."
    naming nothing, and binds port 99999 as 34463 (and 0 as any free port)."""

    def cast(value: str) -> str:
        entries = str(value).split()
        for entry in entries:
            host, _, port = entry.rpartition(":")
            if not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
                entries = []
        if not entries:
            raise ImproperlyConfigured(
                f"{name} must be host:port with a port from 1 to 65535 (e.g. 127.0.0.1:8000; "
                f"several separated by spaces); it is {value!r}."
            )
        return " ".join(entries)

    return cast


def env_setting(name: str, *, default, check: Callable, **options):
    """The setting `name` from the environment (or `.env`), read by the cast `check(name,
    **options)` makes (`number`, `one_of`, `request_rate`, `listen_address`): the name once."""
    return config(name, default=default, cast=check(name, **options))


def env_number(name: str, *, default: float, **limits) -> int | float:
    """The setting `name` from the environment (or `.env`) as `number(name, **limits)` reads it."""
    return env_setting(name, default=default, check=number, **limits)


def env_flag(name: str, *, default: bool) -> bool:
    """The setting `name` from the environment (or `.env`) as `yes_or_no(name)` reads it. Empty
    is the default, as if unset (decouple reads it as False): `SECURE_SSL_REDIRECT=` left blank
    must not turn the redirect off."""
    value = config(name, default="")
    return default if str(value).strip() == "" else yes_or_no(name)(value)
