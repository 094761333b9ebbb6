from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import pages, records, views


def _api(view_class):
    # API keys authenticate in the view (DRF), not by session: the login middleware lets
    # these through, and DRF answers 401 itself.
    return login_not_required(view_class.as_view())


app_name = "api"
urlpatterns = [
    path("orders", _api(views.OrderListView), name="orders"),
    path("orders/<uuid:order_id>", _api(views.OrderDetailView), name="order"),
    path(
        "orders/<uuid:order_id>/actions/<str:name>",
        _api(views.OrderActionView),
        name="order_action",
    ),
    path("orders/<uuid:order_id>/notes", _api(views.OrderNoteView), name="order_notes"),
    path("orders/<uuid:order_id>/history", _api(views.OrderHistoryView), name="order_history"),
    path("events", _api(views.EventFeedView), name="events"),
    path("customers", _api(records.CustomerListView), name="customers"),
    path("customers/<uuid:customer_id>", _api(records.CustomerDetailView), name="customer"),
    path("skus", _api(records.SkuListView), name="skus"),
    path("skus/<uuid:sku_id>", _api(records.SkuDetailView), name="sku"),
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", pages.reference, name="reference"),
    path("<path:rest>", _api(views.NotFoundView), name="not_found"),
]
