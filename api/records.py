"""Customers and SKUs in the JSON API, read-only (`/api/v1/customers`, `/api/v1/skus`): the
company's records a page at a time (cursor pagination, as the order list), and one record with
its version as `ETag`. Another company's record is a 404."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import selectors

from . import concurrency
from .pagination import OrderCursorPagination
from .problems import PROBLEM_JSON
from .serializers import (
    CustomerPageSerializer,
    CustomerSerializer,
    SkuPageSerializer,
    SkuSerializer,
)


def _problems(*codes: int) -> dict:
    return {
        (code, PROBLEM_JSON): {"$ref": "#/components/schemas/Problem"}
        for code in (401, 429, *codes)
    }


LIST_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Search, as on the list page."),
    OpenApiParameter("active", OpenApiTypes.BOOL, description="Only active (true) or not."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next`/`previous`."),
    OpenApiParameter("limit", OpenApiTypes.INT, description="1-200, default 50."),
]


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied("Your role may not see these records.")


def _active(request) -> bool | None:
    value = request.query_params.get("active")
    return None if value is None else value.lower() in ("1", "true", "yes", "on")


def _sku_document(sku) -> dict:
    price = sku.unit_price
    return {
        **{name: getattr(sku, name) for name in SkuSerializer().fields if name != "unit_price"},
        "unit_price": None if price is None else f"{price:.2f}",
    }


def _page(request, view, rows, serializer_class, document=lambda row: row):
    paginator = OrderCursorPagination()
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(
        serializer_class([document(row) for row in page], many=True).data
    )


class CustomerListView(APIView):
    @extend_schema(
        operation_id="customers_list",
        parameters=LIST_PARAMETERS,
        responses={200: CustomerPageSerializer, **_problems(400, 403)},
    )
    def get(self, request):
        """The company's customers by name, a page at a time."""
        _require(request.user, "customers.view_customer")
        rows = selectors.customers(
            request.user, request.query_params.get("q", ""), active=_active(request)
        )
        return _page(request, self, rows, CustomerSerializer)


class CustomerDetailView(APIView):
    @extend_schema(
        operation_id="customers_retrieve",
        parameters=[OpenApiParameter("customer_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: CustomerSerializer, **_problems(403, 404)},
    )
    def get(self, request, customer_id):
        """One customer (`ETag`: its version)."""
        _require(request.user, "customers.view_customer")
        customer = selectors.customer(request.user, customer_id)
        return Response(
            CustomerSerializer(customer).data,
            headers={"ETag": concurrency.etag(customer.version)},
        )


class SkuListView(APIView):
    @extend_schema(
        operation_id="skus_list",
        parameters=LIST_PARAMETERS,
        responses={200: SkuPageSerializer, **_problems(400, 403)},
    )
    def get(self, request):
        """The company's SKUs by code, a page at a time."""
        _require(request.user, "customers.view_sku")
        rows = selectors.skus(
            request.user, request.query_params.get("q", ""), active=_active(request)
        )
        return _page(request, self, rows, SkuSerializer, _sku_document)


class SkuDetailView(APIView):
    @extend_schema(
        operation_id="skus_retrieve",
        parameters=[OpenApiParameter("sku_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: SkuSerializer, **_problems(403, 404)},
    )
    def get(self, request, sku_id):
        """One SKU (`ETag`: its version)."""
        _require(request.user, "customers.view_sku")
        sku = selectors.sku(request.user, sku_id)
        return Response(
            SkuSerializer(_sku_document(sku)).data, headers={"ETag": concurrency.etag(sku.version)}
        )
