from django.urls import path

from . import views

app_name = "ops"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("outbox/<uuid:item_id>/retry/", views.outbox_retry, name="outbox_retry"),
    path("outbox/<uuid:item_id>/skip/", views.outbox_skip, name="outbox_skip"),
]
