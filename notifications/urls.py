from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.my_settings, name="settings"),
    path("locale/", views.my_locale, name="locale"),
]
