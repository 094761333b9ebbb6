from django.contrib import admin
from django.urls import include, path

from accounts.login_flow import LoginView
from accounts.views import healthz

urlpatterns = [
    path(
        "accounts/login/",
        LoginView.as_view(),
        name="login",
    ),
    path("", include("accounts.urls")),  # /team/, /companies/, the set-password link
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("dashboard.urls")),
    path("orders/", include("orders.urls")),
    path("audit/", include("audit.urls")),
    path("ops/", include("ops.urls")),
]
