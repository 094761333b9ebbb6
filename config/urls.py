from django.contrib import admin
from django.urls import include, path

from accounts.login_flow import LoginView
from accounts.views import healthz
from sso import views as sso_views

urlpatterns = [
    path(
        "accounts/login/",
        LoginView.as_view(),
        name="login",
    ),
    # Logout ends the provider's session too when the person came through single sign-on.
    path("accounts/logout/", sso_views.logout, name="logout"),
    path("", include("accounts.urls")),  # /team/, /companies/, the set-password link
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("dashboard.urls")),
    path("orders/", include("orders.urls")),
    path("customers/", include("customers.urls")),
    path("audit/", include("audit.urls")),
    path("ops/", include("ops.urls")),
    path("settings/", include("notifications.urls")),
    path("", include("sso.urls")),
    path("integrations/", include("webhooks.urls")),
    path("api/v1/", include("webhooks.api_urls")),  # before api.urls: it ends with a catch-all
    path("api/v1/", include("api.urls")),
]
handler400 = "common.bad_request.bad_request"
handler500 = "common.unavailable.server_error_or_unavailable"
