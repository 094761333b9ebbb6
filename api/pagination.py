"""Cursor pagination of the order list in the list's own sort (DRF's CursorPagination)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

BAD_CURSOR = "Not a cursor this list gave out: use the `next` or `previous` link as it is."


class OrderCursorPagination(CursorPagination):
    """Pages of the filtered list, in the order the list's `sort` gives (`orders.filters`: the
    column, then its tie-breakers `SORT_TIES`, in the same direction). DRF's cursor holds the
    first sort column's value and an offset among equal values, so pages stay stable while
    orders are added.

    A cursor that was not given out (hand-made, truncated, a value of the wrong type for the
    sort column) is a 400 with a message, never a 404 or a 500."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def get_ordering(self, request, queryset, view):
        return tuple(queryset.query.order_by)

    def get_page_size(self, request):
        """`limit` from 1 to `max_page_size` (default 50); anything else is a 400 with a message
        (as the event feed answers), never silently another page size."""
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not value.isdigit() or not 1 <= int(value) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Give a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(value)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [BAD_CURSOR]}) from None

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            raise ValidationError({"cursor": [BAD_CURSOR]}) from None
