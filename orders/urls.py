from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_create, name="create"),
    path("bulk/", views.order_bulk_action, name="bulk"),
    path("controls/", views.company_controls, name="controls"),
    path("<uuid:order_id>/", views.order_detail, name="detail"),
    path("<uuid:order_id>/edit/", views.order_edit, name="edit"),
    path("<uuid:order_id>/amend/", views.order_amend, name="amend"),
    path("<uuid:order_id>/transitions/<str:name>/", views.order_transition, name="transition"),
    path("<uuid:order_id>/notes/", views.order_add_note, name="add_note"),
    path("<uuid:order_id>/history/", views.order_history, name="history"),
    path("<uuid:order_id>/print/", views.order_print, name="print"),
]
