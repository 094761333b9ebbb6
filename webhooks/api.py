"""`/api/v1/webhooks`: the same endpoints and commands as the integrations page, for a key
with the Manager role (DRF; authentication, errors as problem+json and throttling are the API's
settings). Creating returns the signing secret, once."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.exceptions import WEBHOOKS_NOT_PERMITTED
from common.api_fields import TextField
from events import registry

from . import commands, selectors

PROBLEM = "application/problem+json"
ENDPOINT_ID = OpenApiParameter("endpoint_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}  # SPECTACULAR_SETTINGS


def _problems(*codes: int) -> dict:
    return {(code, PROBLEM): PROBLEM_SCHEMA for code in (401, 403, 429, *codes)}


class EndpointInputSerializer(serializers.Serializer):
    url = TextField(allow_blank=True, trim_whitespace=False)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(registry.registered_types())),
        required=False,
        default=list,
        max_length=200,
        help_text="Event types to receive; empty: every event.",
    )
    description = TextField(allow_blank=True, required=False, default="", trim_whitespace=False)


class EndpointSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=["enabled", "disabled", "failing"])
    status_reason = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class CreatedEndpointSerializer(EndpointSerializer):
    secret = serializers.CharField(help_text="The signing secret (whsec_…): shown only now.")


class AttemptSerializer(serializers.Serializer):
    attempted_at = serializers.DateTimeField()
    event_id = serializers.UUIDField()
    event_number = serializers.IntegerField()
    event_type = serializers.CharField()
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    response_head = serializers.CharField(allow_blank=True)
    error = serializers.CharField(allow_blank=True)


class ReplayInputSerializer(serializers.Serializer):
    from_number = serializers.IntegerField(min_value=1, max_value=2**62, required=False)
    since = serializers.DateTimeField(required=False)

    def validate(self, data):
        if "from_number" not in data and "since" not in data:
            raise serializers.ValidationError("Give from_number or since.")
        return data


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


def _manager(user) -> None:
    if not user.has_perm(commands.MANAGE):
        raise PermissionDenied(str(WEBHOOKS_NOT_PERMITTED))


class EndpointListView(APIView):
    @extend_schema(
        operation_id="webhooks_list", responses={200: EndpointSerializer(many=True), **_problems()}
    )
    def get(self, request):
        """The company's webhook endpoints."""
        _manager(request.user)
        found = selectors.endpoints(request.user.company_id)
        return Response(EndpointSerializer(found, many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        request=EndpointInputSerializer,
        responses={201: CreatedEndpointSerializer, **_problems(400, 422)},
    )
    def post(self, request):
        """Register an endpoint; the answer holds its signing secret, once."""
        _manager(request.user)
        data = EndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = commands.create_endpoint(actor=request.user, **data.validated_data)
        body = {**EndpointSerializer(created.endpoint).data, "secret": created.secret}
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class EndpointDetailView(APIView):
    @extend_schema(
        operation_id="webhooks_retrieve",
        parameters=[ENDPOINT_ID],
        responses={200: EndpointSerializer, **_problems(404)},
    )
    def get(self, request, endpoint_id):
        _manager(request.user)
        found = selectors.endpoint(request.user.company_id, endpoint_id)
        return Response(EndpointSerializer(found).data)

    @extend_schema(
        operation_id="webhooks_update",
        parameters=[ENDPOINT_ID],
        request=EndpointInputSerializer,
        responses={200: EndpointSerializer, **_problems(400, 404, 422)},
    )
    def put(self, request, endpoint_id):
        """Change the address, event types and description."""
        _manager(request.user)
        selectors.endpoint(request.user.company_id, endpoint_id)
        data = EndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = commands.change_endpoint(
            actor=request.user, endpoint_id=endpoint_id, **data.validated_data
        )
        return Response(EndpointSerializer(changed).data)


def _action(command, operation_id: str, doc: str, request_serializer=None):
    @extend_schema(
        operation_id=operation_id,
        description=doc,
        parameters=[ENDPOINT_ID],
        request=request_serializer,
        responses={200: CountSerializer, **_problems(400, 404, 422)},
    )
    def post(self, request, endpoint_id):
        _manager(request.user)
        selectors.endpoint(request.user.company_id, endpoint_id)
        data = {}
        if request_serializer is not None:
            parsed = request_serializer(data=request.data)
            parsed.is_valid(raise_exception=True)
            data = parsed.validated_data
        result = command(actor=request.user, endpoint_id=endpoint_id, **data)
        count = result if isinstance(result, int) else selectors.backlog(result)["count"]
        return Response({"count": count})

    return type(f"{operation_id}_view", (APIView,), {"post": post, "__doc__": doc})


EnableView = _action(
    commands.enable_endpoint,
    "webhooks_enable",
    "Enable the endpoint; its held events resume in order. count: events waiting.",
)
DisableView = _action(
    commands.disable_endpoint,
    "webhooks_disable",
    "Disable the endpoint; its events are kept. count: events waiting.",
)
RetryView = _action(
    commands.retry_now, "webhooks_retry", "Try the owed deliveries now. count: how many."
)
ReplayView = _action(
    commands.replay,
    "webhooks_replay",
    "Send the matching events from company event number `from_number` (or from the moment "
    "`since`) up to now again, in order. count: how many.",
    ReplayInputSerializer,
)


class AttemptListView(APIView):
    @extend_schema(
        operation_id="webhooks_deliveries",
        parameters=[ENDPOINT_ID],
        responses={200: AttemptSerializer(many=True), **_problems(404)},
    )
    def get(self, request, endpoint_id):
        """The endpoint's last delivery attempts, newest first."""
        _manager(request.user)
        found = selectors.endpoint(request.user.company_id, endpoint_id)
        return Response(AttemptSerializer(selectors.attempts(found), many=True).data)
