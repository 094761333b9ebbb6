"""The API's shapes: they parse JSON into the commands' arguments and describe answers for the
schema. Rules (lengths, ranges, required text) are the commands' (orders/validation.py), so an
invalid order gets the same words as on the pages, as a 422."""

from __future__ import annotations

from rest_framework import serializers

from common.api_fields import AmountField, TextField, WholeNumberField
from orders.events import Line, OrderDetails


def _text(**kwargs) -> TextField:
    # Blank and untrimmed: the command trims, requires and bounds, in the pages' words. Text
    # only: a number or boolean is refused, not turned into text (common/api_fields.py).
    return TextField(allow_blank=True, trim_whitespace=False, **kwargs)


class LineSerializer(serializers.Serializer):
    sku = _text(help_text="Required; at most 64 characters.")
    description = _text(required=False, default="", help_text="At most 300 characters.")
    quantity = WholeNumberField(help_text="1 to 1,000,000.")
    unit_price = AmountField(
        max_digits=None,
        decimal_places=None,
        coerce_to_string=True,
        help_text="0.00 to 10,000,000.00, at most two decimals; a string or a number.",
    )


class OrderInputSerializer(serializers.Serializer):
    customer_name = _text(help_text="Required; at most 200 characters.")
    customer_reference = _text(required=False, default="")
    customer_email = _text(required=False, default="")
    shipping_address = _text(required=False, default="")
    notes = _text(required=False, default="")
    customer_id = _text(
        required=False, default="", help_text="One of the company's customers (its id), or empty."
    )
    lines = LineSerializer(many=True, help_text="At most 200 lines.")

    def to_command(self) -> dict:
        """{"details": OrderDetails, "lines": [Line]}, the commands' arguments."""
        data = self.validated_data
        lines = [Line(**line) for line in data["lines"]]
        details = OrderDetails(**{k: v for k, v in data.items() if k != "lines"})
        return {"details": details, "lines": lines}


class ActionInputSerializer(serializers.Serializer):
    reason = _text(required=False, help_text="For reject, hold and cancel.")
    carrier = _text(required=False, help_text="For ship.")
    tracking_number = _text(required=False, help_text="For ship.")


class NoteInputSerializer(serializers.Serializer):
    text = _text(help_text="Required; at most 4,000 characters.")


class LineOutputSerializer(serializers.Serializer):
    sku = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    quantity = serializers.IntegerField()
    unit_price = serializers.CharField(help_text="Decimal, two places.")


class ActionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="POST /orders/{id}/actions/{name}")
    label = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField(), help_text="Data it needs.")


class OrderRowSerializer(serializers.Serializer):
    """A row of the list."""

    id = serializers.UUIDField()
    number = serializers.CharField()
    version = serializers.IntegerField(help_text="The ETag of the order.")
    state = serializers.CharField()
    customer_name = serializers.CharField()
    customer_id = serializers.UUIDField(
        allow_null=True, help_text="The company's customer the order is for (null: none)."
    )
    line_count = serializers.IntegerField()
    total = serializers.CharField(help_text="Decimal, two places, in `currency`.")
    currency = serializers.CharField()
    placed_at = serializers.DateTimeField()
    last_changed_at = serializers.DateTimeField()
    last_actor = serializers.CharField()
    state_since = serializers.DateTimeField()


class OrderPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page's address.")
    previous = serializers.URLField(allow_null=True)
    results = OrderRowSerializer(many=True)


class OrderSerializer(OrderRowSerializer):
    """An order with its lines and the actions the key may take now."""

    state_label = serializers.CharField()
    customer_reference = serializers.CharField(allow_blank=True)
    customer_email = serializers.CharField(allow_blank=True)
    shipping_address = serializers.CharField(allow_blank=True)
    notes = serializers.CharField(allow_blank=True)
    lines = LineOutputSerializer(many=True)
    placed_by = serializers.CharField()
    held_from = serializers.CharField(allow_blank=True)
    carrier = serializers.CharField(allow_blank=True)
    tracking_number = serializers.CharField(allow_blank=True)
    rejection_reason = serializers.CharField(allow_blank=True)
    actions = ActionSerializer(many=True)


class CustomerSerializer(serializers.Serializer):
    """One of the company's customers (`version` is its ETag)."""

    id = serializers.UUIDField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    reference = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    billing_address = serializers.CharField(allow_blank=True)
    shipping_address = serializers.CharField(allow_blank=True)
    notes = serializers.CharField(allow_blank=True)
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    changed_at = serializers.DateTimeField()


class CustomerPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CustomerSerializer(many=True)


class SkuSerializer(serializers.Serializer):
    """One of the company's SKUs (`version` is its ETag)."""

    id = serializers.UUIDField()
    version = serializers.IntegerField()
    code = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    unit_price = serializers.CharField(
        allow_null=True, help_text="The default unit price, two places; null: none."
    )
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    changed_at = serializers.DateTimeField()


class SkuPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SkuSerializer(many=True)


class HistoryEntrySerializer(serializers.Serializer):
    number = serializers.IntegerField(allow_null=True, help_text="In the company's event log.")
    version = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField()
    type = serializers.CharField(source="event_type")
    label = serializers.CharField()
    summary = serializers.CharField()
    from_state = serializers.CharField(allow_blank=True)
    to_state = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)
    carrier = serializers.CharField(allow_blank=True)
    tracking_number = serializers.CharField(allow_blank=True)


class HistorySerializer(serializers.Serializer):
    order_id = serializers.UUIDField()
    number = serializers.CharField()
    entries = HistoryEntrySerializer(many=True)


class EventSerializer(serializers.Serializer):
    """One event as `projections.feed.event_document` gives it (the webhooks' body too)."""

    id = serializers.UUIDField(help_text="The webhooks' `webhook-id`.")
    number = serializers.IntegerField(help_text="In the company's log: 1, 2, 3… without gaps.")
    type = serializers.CharField()
    label = serializers.CharField()
    stream_type = serializers.CharField()
    stream_id = serializers.UUIDField()
    order_id = serializers.UUIDField(allow_null=True)
    version = serializers.IntegerField(help_text="The stream's version after this event.")
    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField()
    data = serializers.DictField(help_text="The event's fields ({} where the role may not read).")


class EventPageSerializer(serializers.Serializer):
    events = EventSerializer(many=True)
    next_after = serializers.IntegerField(help_text="Pass as `after` for the next page.")
    head = serializers.IntegerField(help_text="The company's last event number now.")


class EventQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, max_value=2**62, required=False, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=500, required=False, default=100)
