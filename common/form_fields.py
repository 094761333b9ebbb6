"""Form fields for dates, moments and whole numbers, bounded by what the code and database hold.

Django's DateField accepts 9999-12-31 and its IntegerField any size; the pages then add a day,
convert to UTC or bind the number in SQL, and Python or the database overflows (a 500). These
fields refuse such values while validating, so the page answers 400/422 with a message instead.
Every form and filter of the product uses them for its date, datetime and integer inputs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .typed_input import InputError, clean_text, parse_local_amount, parse_whole_number

# One day of margin at both ends of Python's range: pages add a day to a date ("placed on or
# before" = before the next midnight) and convert local times to UTC (offsets are < 1 day).
EARLIEST_DATE = dt.date.min + dt.timedelta(days=1)  # 0001-01-02
LATEST_DATE = dt.date.max - dt.timedelta(days=1)  # 9999-12-30
# The largest value of a signed 64-bit integer column (SQLite INTEGER, PostgreSQL bigint).
BIGINT_MAX = 2**63 - 1
# The largest value of Django's PositiveIntegerField on every backend (PostgreSQL integer).
POSITIVE_INT_MAX = 2**31 - 1


def validate_date_in_range(value: dt.date | dt.datetime) -> None:
    """Raise ValidationError if `value` (a date, or a datetime's wall-clock date) is outside
    EARLIEST_DATE..LATEST_DATE (its message, code and params kept apart, as Django's own
    validators do, so a stored refusal can be said again in another language)."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="date_out_of_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )


class BoundedDateField(forms.DateField):
    """A DateField that refuses dates the pages cannot add a day to or convert (see above)."""

    default_validators = [validate_date_in_range]


class BoundedDateTimeField(forms.DateTimeField):
    """A DateTimeField whose date is inside EARLIEST_DATE..LATEST_DATE, so converting it
    between time zones (any offset) stays inside Python's datetime range."""

    default_validators = [validate_date_in_range]


class BoundedIntegerField(forms.IntegerField):
    """A whole number as a person writes it (`typed_input.parse_whole_number`: no `1_0`, no
    fullwidth digits) with a maximum (default: a 64-bit column's), so a bound value can never
    overflow the database driver."""

    def __init__(self, *, max_value: int = BIGINT_MAX, **kwargs):
        super().__init__(max_value=max_value, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return parse_whole_number(value)
        except InputError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class TextField(forms.CharField):
    """A CharField whose text goes into the log: NFC, and refused with a control character
    (`typed_input.clean_text`), as every other path into the log refuses it."""

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return clean_text(value)
        except InputError as error:
            raise ValidationError(str(error), code="control_character") from None


class BoundedDateFilter(django_filters.DateFilter):
    """django-filter's DateFilter with the bounded date field."""

    field_class = BoundedDateField


class IsoDateInput(forms.DateInput):
    """A date typed in the one format the pages show (ISO 8601, YYYY-MM-DD), as text: a
    browser's date picker would show the visitor's locale format instead."""

    def __init__(self, attrs=None):
        super().__init__(
            {
                "placeholder": "YYYY-MM-DD",
                "pattern": r"\d{4}-\d{2}-\d{2}",
                "inputmode": "numeric",
                "autocomplete": "off",
                **(attrs or {}),
            },
            format="%Y-%m-%d",
        )


class TrueCheckboxInput(forms.CheckboxInput):
    """A checkbox sending "true", whose submitted text reaches the field as sent (Django's
    CheckboxInput turns any text but "false" into True, so "?stuck=maybe" would mean yes)."""

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"value": "true", **(attrs or {})},
            check_test=lambda value: value is True or value in StrictNullBooleanField.TRUE,
        )

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictNullBooleanField(forms.NullBooleanField):
    """A yes/no/unset query parameter: "true"/"1" or "false"/"0", or absent/empty. Django's
    NullBooleanField reads any other text ("maybe", "on") as unset and django-filter's
    BooleanFilter then as a value; here it is an error, so the page answers 400 with a message."""

    TRUE, FALSE = ("true", "True", "1"), ("false", "False", "0")

    def to_python(self, value):
        if value in (None, "") or isinstance(value, bool):
            return None if value == "" else value
        if value in self.TRUE:
            return True
        if value in self.FALSE:
            return False
        raise ValidationError(_("Enter true or false."), code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    """django-filter's BooleanFilter refusing anything but true/false (StrictNullBooleanField)."""

    field_class = StrictNullBooleanField


def reader_locale() -> str:
    """The active language as a Babel/CLDR locale name ("de", "en_US"): how the person reading
    the page writes numbers (the `i18n` middleware activates their language)."""
    return translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)


class AmountInput(forms.TextInput):
    """A decimal text box (`inputmode="decimal"`: the phone's number pad with its decimal key),
    not `type=number`: a number input drops or reinterprets a decimal comma it does not expect
    (Chromium read "12,50" as 1250, issue #29), so the text reaches the server as typed. No
    `autocomplete="off"`: Chromium would not refill it on Back (the repeated-create check)."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", **(attrs or {})})


class AmountField(forms.DecimalField):
    """An amount in major units: 0 to `max_value`, at most two decimals, typed in the reader's
    locale (`typed_input.parse_local_amount`: "12,50" in German, "12.50" in English; an entry
    that could mean two things is refused with what was understood) and shown back in it.
    Any entry outside the range (too large, negative, too precise) gets one message in plain
    numbers, instead of Django's separate digit-count and range messages."""

    widget = AmountInput

    def __init__(self, *, max_value: Decimal, **kwargs):
        kwargs.update(
            min_value=0,
            max_value=max_value,
            decimal_places=2,
            max_digits=len(str(int(max_value))) + 2,
            localize=True,
        )
        kwargs.setdefault("widget", AmountInput)
        super().__init__(**kwargs)
        self.range_message = format_lazy(
            _("Enter an amount from 0 to {max}, with at most two decimals."),
            max=f"{max_value:,.2f}",
        )

    def to_python(self, value):
        """An amount as a person of the reader's locale writes it
        (`typed_input.parse_local_amount`): no `1_000`, `1e3`, sign or `NaN`, nothing that could
        mean two things."""
        if value in self.empty_values:
            return None
        try:
            value = (
                value if isinstance(value, Decimal) else parse_local_amount(value, reader_locale())
            )
        except InputError as error:
            raise ValidationError(str(error), code="invalid") from None
        if value.is_signed():  # -0.00 passes `>= 0`: no negative zero either
            raise ValidationError(self.range_message, code="out_of_range")
        return value

    def run_validators(self, value):
        try:
            super().run_validators(value)
        except ValidationError as error:
            raise ValidationError(self.range_message, code="out_of_range") from error


class AmountFilter(django_filters.NumberFilter):
    """django-filter's NumberFilter with AmountField (its own 1e50 cap is left out: the field's
    bound is lower and its message clearer)."""

    field_class = AmountField

    def get_max_validator(self):
        return None
