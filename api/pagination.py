"""Cursor pagination of the order list in the list's own sort (DRF's CursorPagination)."""

from rest_framework.pagination import CursorPagination


class OrderCursorPagination(CursorPagination):
    """Pages of the filtered list, in the order the list's `sort` gives (`orders.filters`: the
    column, then the number as tie-breaker). DRF's cursor holds the first sort column's value
    and an offset among equal values, so pages stay stable while orders are added."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def get_ordering(self, request, queryset, view):
        return tuple(queryset.query.order_by)
