"""Input fields for the API's serializers that read JSON the way `common.typed_input` reads a
form: text must be a JSON string (DRF's CharField turns `5` or `1.5` into "5", "1.5": a reason
of 5 is a client's bug, not a reason), whole numbers and amounts are plain decimal numbers
(DRF's IntegerField/DecimalField accept Python literals such as "1_000", cpython#84137). A value
refused here is a 400 problem naming the field."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .typed_input import InputError, parse_amount, parse_whole_number


class TextField(serializers.CharField):
    """A JSON string, nothing else (not a number, boolean, list or object)."""

    default_error_messages = {"not_text": _("Give text here (a JSON string), not %(kind)s.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text", kind=_json_kind(data))
        return super().to_internal_value(data)


class WholeNumberField(serializers.IntegerField):
    """A JSON integer, or a string of ASCII digits (`typed_input.parse_whole_number`)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("invalid")
        if isinstance(data, str):
            try:
                data = parse_whole_number(data)
            except InputError as error:
                raise serializers.ValidationError(str(error)) from None
        return super().to_internal_value(data)


class AmountField(serializers.DecimalField):
    """A JSON number or a string in plain decimal notation (`typed_input.parse_amount`)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail("invalid")
        try:
            data = parse_amount(str(data))
        except InputError as error:
            raise serializers.ValidationError(str(error)) from None
        return super().to_internal_value(Decimal(data))


def _json_kind(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return "a list" if isinstance(value, list) else "an object"
