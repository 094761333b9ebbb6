from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("", views.integrations, name="integrations"),
    path("<uuid:endpoint_id>/", views.endpoint_detail, name="endpoint"),
    path("<uuid:endpoint_id>/enable/", views.enable, name="enable"),
    path("<uuid:endpoint_id>/disable/", views.disable, name="disable"),
    path("<uuid:endpoint_id>/retry/", views.retry, name="retry"),
    path("<uuid:endpoint_id>/replay/", views.replay, name="replay"),
]
