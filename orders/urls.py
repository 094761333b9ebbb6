from django.urls import path

from . import import_views, views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_create, name="create"),
    path("bulk/", views.order_bulk_action, name="bulk"),
    path("import/", import_views.import_upload, name="import"),
    path("import/<uuid:job_id>/", import_views.import_job, name="import_job"),
    path("import/<uuid:job_id>/start/", import_views.import_job_start, name="import_job_start"),
    path("views/", views.saved_view_list, name="saved_views"),
    path("views/<uuid:view_id>/rename/", views.saved_view_rename, name="saved_view_rename"),
    path("views/<uuid:view_id>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("controls/", views.company_controls, name="controls"),
    path("<uuid:order_id>/", views.order_detail, name="detail"),
    path("<uuid:order_id>/edit/", views.order_edit, name="edit"),
    path("<uuid:order_id>/amend/", views.order_amend, name="amend"),
    path("<uuid:order_id>/transitions/<str:name>/", views.order_transition, name="transition"),
    path("<uuid:order_id>/notes/", views.order_add_note, name="add_note"),
    path("<uuid:order_id>/history/", views.order_history, name="history"),
    path("<uuid:order_id>/erase/", views.order_erase, name="erase"),
    path("customers/<uuid:customer_id>/erase/", views.customer_erase, name="erase_customer"),
    path("<uuid:order_id>/print/", views.order_print, name="print"),
]
