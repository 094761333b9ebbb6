"""Provider URLs: the library's OIDC endpoints under /o/, a login page, and /setup/ for tests."""

import json
import os

from django.contrib.auth import views as auth_views
from django.contrib.auth.models import Group, User
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_application_model


@csrf_exempt
@require_POST
def setup(request):
    """Create or update users (with groups) and clients, from a JSON body:
    {"users": [{"username", "password", "email", "first_name", "last_name", "groups"}],
     "clients": [{"client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris"}]}
    """
    if request.headers.get("X-Setup-Token") != os.environ["PROVIDER_SETUP_TOKEN"]:
        return HttpResponseForbidden()
    spec = json.loads(request.body)
    for item in spec.get("users", []):
        user, _ = User.objects.get_or_create(username=item["username"])
        user.email = item.get("email", "")
        user.first_name = item.get("first_name", "")
        user.last_name = item.get("last_name", "")
        user.is_active = item.get("active", True)
        if "password" in item:
            user.set_password(item["password"])
        user.save()
        user.groups.set(Group.objects.get_or_create(name=name)[0] for name in item["groups"])
    application_model = get_application_model()
    for item in spec.get("clients", []):
        app = application_model.objects.filter(client_id=item["client_id"]).first()
        app = app or application_model(client_id=item["client_id"])
        app.name = item["client_id"]
        app.client_secret = item["client_secret"]
        app.client_type = application_model.CLIENT_CONFIDENTIAL
        app.authorization_grant_type = application_model.GRANT_AUTHORIZATION_CODE
        app.redirect_uris = " ".join(item["redirect_uris"])
        app.post_logout_redirect_uris = " ".join(item.get("post_logout_redirect_uris", []))
        app.algorithm = application_model.RS256_ALGORITHM
        app.skip_authorization = True
        app.save()
    return JsonResponse({"ok": True})


urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/provider_login.html"),
        name="login",
    ),
    path("setup/", setup),
    path("favicon.ico", lambda request: HttpResponse(status=204)),
]
