from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
    path("controls/", views.controls_report, name="controls"),
    path("erasures/", views.erasure_list, name="erasures"),
    path("erasures/<uuid:event_id>/", views.erasure_certificate, name="erasure"),
]
