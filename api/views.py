"""The JSON API (`/api/v1/`). Thin, as the pages: serializers parse, the order list's own
filterset and the order selectors read (always by the key's company), `orders.commands`
changes. Every answer about one order carries its version as `ETag`."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from common import money
from orders import commands, history, selectors
from orders.exceptions import ConcurrencyError, OrderAlreadyPlaced
from orders.filters import SORTS, OrderFilter
from orders.models import OrderState
from projections import feed

from . import concurrency, idempotency
from .pagination import OrderCursorPagination
from .problems import PROBLEM_JSON
from .serializers import (
    ActionInputSerializer,
    EventPageSerializer,
    EventQuerySerializer,
    HistorySerializer,
    NoteInputSerializer,
    OrderInputSerializer,
    OrderPageSerializer,
    OrderRowSerializer,
    OrderSerializer,
)

PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}  # SPECTACULAR_SETTINGS


def _problems(*codes: int) -> dict:
    return {(code, PROBLEM_JSON): PROBLEM_SCHEMA for code in (401, 429, *codes)}


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The order\'s ETag (its version, e.g. "3") as last read.',
)
ORDER_ID = OpenApiParameter("order_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied("Your role may not see orders.")


def _row(row: dict) -> dict:
    return {**row, "total": money.plain(row["total_cents"])}


def order_document(user, order_id) -> dict:
    """The order as the detail answer gives it (404 for another company's)."""
    summary, order = selectors.order_with_state(user, order_id)
    computed = ("total", "state_label", "actions")
    fields = {
        name: getattr(summary, name) for name in OrderSerializer().fields if name not in computed
    }
    return {
        **fields,
        "total": money.plain(summary.total_cents),
        "state_label": selectors.STATE_LABELS.get(summary.state, summary.state),
        "actions": [
            {"name": t.name, "label": t.custom["label"], "fields": list(t.custom["fields"])}
            for t in selectors.available_actions(order, user)
        ],
    }


def _order_response(user, order_id, status_code: int = 200, headers=None) -> Response:
    document = order_document(user, order_id)
    headers = {"ETag": concurrency.etag(document["version"]), **(headers or {})}
    return Response(OrderSerializer(document).data, status=status_code, headers=headers)


class OrderListView(APIView):
    """The company's orders, and placing one."""

    @extend_schema(
        operation_id="orders_list",
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, many=True, enum=OrderState.values),
            OpenApiParameter("placed_after", OpenApiTypes.DATE),
            OpenApiParameter("placed_before", OpenApiTypes.DATE),
            OpenApiParameter("q", OpenApiTypes.STR, description="Customer, number, ref, SKU."),
            OpenApiParameter("total_min", OpenApiTypes.DECIMAL),
            OpenApiParameter("total_max", OpenApiTypes.DECIMAL),
            OpenApiParameter("stuck", OpenApiTypes.BOOL),
            OpenApiParameter("returned", OpenApiTypes.BOOL),
            OpenApiParameter("mine", OpenApiTypes.BOOL, description="Orders this key placed."),
            OpenApiParameter(
                "sort", OpenApiTypes.STR, enum=[*SORTS, *(f"-{name}" for name in SORTS)]
            ),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next`/`previous`."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1-200, default 50."),
        ],
        responses={200: OrderPageSerializer, **_problems(400, 403, 404)},
    )
    def get(self, request):
        """The order list's filters and sort (as on the list page), a page at a time."""
        _require(request.user, "orders.view_order")
        filterset = OrderFilter(
            request.GET, queryset=selectors.order_summaries(request.user), request=request
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.form.errors.get_json_data(escape_html=False))
        paginator = OrderCursorPagination()
        rows = paginator.paginate_queryset(filterset.qs, request, view=self)
        return paginator.get_paginated_response(OrderRowSerializer(map(_row, rows), many=True).data)

    @extend_schema(
        operation_id="orders_create",
        request=OrderInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Up to 255 characters. The same key and body give the same order "
                "(200); the same key with another body is a 422.",
            )
        ],
        responses={
            201: OrderSerializer,
            200: OpenApiResponse(OrderSerializer, description="A repeat: the same order."),
            **_problems(400, 403, 422),
        },
    )
    def post(self, request):
        """Place a draft order."""
        serializer = OrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.to_command()
        key = idempotency.key_of(request)
        order_id = idempotency.order_id(request.user, key) if key else None
        try:
            order = commands.place_order(actor=request.user, order_id=order_id, **data)
        except OrderAlreadyPlaced as repeat:
            idempotency.check_same_request(request.user, repeat.order.id, key, **data)
            return _order_response(
                request.user, repeat.order.id, headers={"Idempotent-Replayed": "true"}
            )
        return _order_response(request.user, order.id, status.HTTP_201_CREATED)


class OrderDetailView(APIView):
    @extend_schema(
        operation_id="orders_retrieve",
        parameters=[ORDER_ID],
        responses={200: OrderSerializer, **_problems(403, 404)},
    )
    def get(self, request, order_id):
        """An order with its lines and the actions the key may take now."""
        _require(request.user, "orders.view_order")
        return _order_response(request.user, order_id)

    @extend_schema(
        operation_id="orders_update",
        parameters=[ORDER_ID, IF_MATCH],
        request=OrderInputSerializer,
        responses={200: OrderSerializer, **_problems(400, 403, 404, 412, 422, 428)},
    )
    def put(self, request, order_id):
        """Replace a draft's details and lines."""
        selectors.order_state(request.user, order_id)  # 404 before any other answer
        version = concurrency.expected_version(request)
        serializer = OrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return _change(
            request,
            order_id,
            lambda: commands.change_order(
                order_id, actor=request.user, expected_version=version, **serializer.to_command()
            ),
        )


class OrderActionView(APIView):
    @extend_schema(
        operation_id="orders_action",
        parameters=[
            ORDER_ID,
            OpenApiParameter(
                "name",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=sorted(commands.workflow_transitions()),
            ),
            IF_MATCH,
        ],
        request=ActionInputSerializer,
        responses={200: OrderSerializer, **_problems(400, 403, 404, 412, 422, 428)},
    )
    def post(self, request, order_id, name):
        """A workflow action (submit, approve, reject, start_fulfilment, ship, deliver, hold,
        resume, cancel) with the data it needs: reason (reject, hold, cancel), carrier and
        tracking_number (ship)."""
        if name not in commands.workflow_transitions():
            raise Http404(f"There is no action called {name!r}.")
        selectors.order_state(request.user, order_id)  # 404 before any other answer
        version = concurrency.expected_version(request)
        serializer = ActionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return _change(
            request,
            order_id,
            lambda: commands.transition(
                order_id,
                name,
                actor=request.user,
                expected_version=version,
                **serializer.validated_data,
            ),
        )


class OrderNoteView(APIView):
    @extend_schema(
        operation_id="orders_note",
        parameters=[ORDER_ID, IF_MATCH],
        request=NoteInputSerializer,
        responses={200: OrderSerializer, **_problems(400, 403, 404, 412, 422, 428)},
    )
    def post(self, request, order_id):
        """Add a note to the order."""
        selectors.order_state(request.user, order_id)  # 404 before any other answer
        version = concurrency.expected_version(request)
        serializer = NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        text = serializer.validated_data["text"]
        return _change(
            request,
            order_id,
            lambda: commands.add_note(
                order_id, actor=request.user, expected_version=version, text=text
            ),
        )


def _change(request, order_id, run) -> Response:
    """Run a command; a stale version is a 412 naming what changed meanwhile."""
    try:
        run()
    except ConcurrencyError as error:
        raise concurrency.stale(request.user, order_id, error) from error
    return _order_response(request.user, order_id)


class OrderHistoryView(APIView):
    @extend_schema(
        operation_id="orders_history",
        parameters=[ORDER_ID],
        responses={200: HistorySerializer, **_problems(403, 404)},
    )
    def get(self, request, order_id):
        """The order's events, oldest first, each with its label and company event number."""
        _require(request.user, "orders.view_order")
        summary = selectors.order_summary(request.user, order_id)
        entries = history.history(request.user, order_id)
        body = {"order_id": summary.id, "number": summary.number, "entries": entries}
        return Response(
            HistorySerializer(body).data, headers={"ETag": concurrency.etag(summary.version)}
        )


class EventFeedView(APIView):
    @extend_schema(
        operation_id="events_list",
        parameters=[EventQuerySerializer],
        responses={200: EventPageSerializer, **_problems(400, 403)},
    )
    def get(self, request):
        """The company's events after number `after`, in order, numbers without gaps. Events
        other than orders' carry their data only for a role that may read the event log."""
        _require(request.user, "orders.view_order")
        query = EventQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        company = request.user.company_id
        events = feed.company_events(company, after=after, limit=limit)
        if not request.user.has_perm("audit.view_audit_log"):
            events = [e if e["stream_type"] == "order" else {**e, "data": {}} for e in events]
        body = {
            "events": events,
            "next_after": events[-1]["number"] if events else after,
            "head": feed.head_number(company),
        }
        return Response(EventPageSerializer(body).data)


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Any other address under /api/v1/ (a malformed id, a typo): a 404 in problem+json like
    every other API answer, not the pages' HTML."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise Http404("No such API address: see /api/v1/docs/.")

    get = post = put = patch = delete = http_method_not_allowed
