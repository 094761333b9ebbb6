from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("lookup/", views.customer_lookup, name="lookup"),
    path("<uuid:customer_id>/", views.customer_detail, name="detail"),
    path("<uuid:customer_id>/edit/", views.customer_edit, name="edit"),
    path(
        "<uuid:customer_id>/deactivate/",
        views.customer_set_active,
        {"active": False},
        name="deactivate",
    ),
    path(
        "<uuid:customer_id>/reactivate/",
        views.customer_set_active,
        {"active": True},
        name="reactivate",
    ),
    path("skus/", views.sku_list, name="sku_list"),
    path("skus/new/", views.sku_create, name="sku_create"),
    path("skus/lookup/", views.sku_lookup, name="sku_lookup"),
    path("skus/<uuid:sku_id>/edit/", views.sku_edit, name="sku_edit"),
    path(
        "skus/<uuid:sku_id>/deactivate/",
        views.sku_set_active,
        {"active": False},
        name="sku_deactivate",
    ),
    path(
        "skus/<uuid:sku_id>/reactivate/",
        views.sku_set_active,
        {"active": True},
        name="sku_reactivate",
    ),
]
