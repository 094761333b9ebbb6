"""`/api/v1/webhooks…` (included under api/v1/ before the API's own routes)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import api


def _api(view_class):
    return login_not_required(view_class.as_view())  # API keys authenticate in the view


app_name = "webhooks_api"
urlpatterns = [
    path("webhooks", _api(api.EndpointListView), name="endpoints"),
    path("webhooks/<uuid:endpoint_id>", _api(api.EndpointDetailView), name="endpoint"),
    path("webhooks/<uuid:endpoint_id>/enable", _api(api.EnableView), name="enable"),
    path("webhooks/<uuid:endpoint_id>/disable", _api(api.DisableView), name="disable"),
    path("webhooks/<uuid:endpoint_id>/retry", _api(api.RetryView), name="retry"),
    path("webhooks/<uuid:endpoint_id>/replay", _api(api.ReplayView), name="replay"),
    path("webhooks/<uuid:endpoint_id>/deliveries", _api(api.AttemptListView), name="deliveries"),
]
