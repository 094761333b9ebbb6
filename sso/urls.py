from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import views

urlpatterns = [
    path("sso/", views.start_by_email, name="sso_start_by_email"),
    path("sso/<slug:slug>/login/", login_not_required(views.StartView.as_view()), name="sso_start"),
    path(
        "sso/callback/",
        login_not_required(views.CallbackView.as_view()),
        name="oidc_authentication_callback",
    ),
    path("sso/refused/", views.refused, name="sso_refused"),
    path("team/sign-in/", views.provider_settings, name="sso_settings"),
]
