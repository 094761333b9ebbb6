"""Single sign-on pages: start a sign-in (by e-mail domain or a company's URL), the provider's
callback, the refusal page, RP-initiated logout, and the Manager's provider settings."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_not_required, permission_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from accounts.commands import MANAGE_TEAM
from accounts.exceptions import AccessError, InvalidAccessChange
from accounts.login_flow import post_only
from common.form_errors import apply_errors

from . import commands, oidc
from .backends import (
    ID_TOKEN_SESSION_KEY,
    LOGOUT_ORIGIN_SESSION_KEY,
    PROVIDER_SESSION_KEY,
    REFUSAL_SESSION_KEY,
)
from .exceptions import SignInRefused
from .forms import ProviderForm, StartForm
from .models import IdentityProvider

NO_PROVIDER = _("No company signs in through an identity provider with this address.")


@login_not_required
@require_GET
def start_by_email(request):
    """The login page's "Sign in with your company account": the typed address's domain names
    the company; this page offers "Sign in with <provider>" (a link, so the strict CSP's
    `form-action 'self'` holds: no form submission is redirected to the provider)."""
    form = StartForm(request.GET)
    provider = commands.provider_for_email(form.data.get("email", "")) if form.is_valid() else None
    nxt = request.GET.get("next", "")
    if provider is None:
        messages.error(request, NO_PROVIDER)
        return redirect(_login_with_next(nxt))
    url = reverse("sso_start", kwargs={"slug": provider.company.slug})
    return render(
        request,
        "sso/start.html",
        {"provider": provider, "url": f"{url}?{urlencode({'next': nxt})}" if nxt else url},
    )


class StartView(OIDCAuthenticationRequestView):
    """mozilla-django-oidc's authorization request (state, nonce and PKCE in the session), sent
    to the provider of the company named in the URL."""

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request, slug):
        provider = get_object_or_404(
            IdentityProvider.objects.select_related("company"), company__slug=slug, enabled=True
        )
        try:
            discovery = oidc.discover(provider.issuer)
        except SignInRefused as refused:
            request.session[REFUSAL_SESSION_KEY] = refused.reason
            return redirect("sso_refused")
        self.OIDC_OP_AUTH_ENDPOINT = discovery.authorization_endpoint
        request.session[LOGOUT_ORIGIN_SESSION_KEY] = _origin(discovery.end_session_endpoint)
        self.OIDC_RP_CLIENT_ID = provider.client_id
        request.session[PROVIDER_SESSION_KEY] = str(provider.pk)
        request.session.pop(REFUSAL_SESSION_KEY, None)
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """mozilla-django-oidc's callback (state checked and spent, the code exchanged with the PKCE
    verifier, the user authenticated by `sso.backends.CompanyOIDCBackend`); a refusal goes to a
    page that says why."""

    @property
    def failure_url(self):
        return reverse("sso_refused")


@login_not_required
@require_GET
def refused(request):
    reason = request.session.pop(REFUSAL_SESSION_KEY, "") or (
        _("The sign-in through your identity provider did not complete. Try again.")
    )
    return render(request, "sso/refused.html", {"reason": reason}, status=403)


@login_not_required
@post_only
def logout(request):
    """Django's logout, then (for a session that came through a provider that supports it)
    the provider's end-session endpoint, so the provider's session ends too (OpenID Connect
    RP-Initiated Logout 1.0)."""
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    provider_id = request.session.get(PROVIDER_SESSION_KEY)
    auth_logout(request)
    after = request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL))
    end = _end_session_url(provider_id, id_token, after) if id_token else ""
    return HttpResponseRedirect(end or after)


def _end_session_url(provider_id, id_token: str, after: str) -> str:
    """The provider's end-session URL for this ID token ('' when it publishes none)."""
    provider = IdentityProvider.objects.filter(pk=provider_id).first()
    if provider is None:
        return ""
    try:
        end = oidc.discover(provider.issuer).end_session_endpoint
    except SignInRefused:
        return ""
    if not end:
        return ""
    query = {"id_token_hint": id_token, "client_id": provider.client_id}
    return f"{end}?{urlencode({**query, 'post_logout_redirect_uri': after})}"


@permission_required(MANAGE_TEAM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def provider_settings(request):
    """A Manager's page for the company's identity provider (each save an access event)."""
    company = request.user.company
    provider = IdentityProvider.objects.filter(company=company).first()
    data = request.POST if request.method == "POST" else None
    form = ProviderForm(data, initial=ProviderForm.initial_for(provider, company))
    if request.method == "POST" and form.is_valid():
        try:
            commands.configure_provider(actor=request.user, company=company, **form.settings())
        except InvalidAccessChange as error:
            apply_errors(form, error.errors)
        except AccessError as error:
            messages.error(request, str(error))
            return redirect("sso_settings")
        else:
            messages.success(request, _("Sign-in settings saved."))
            return redirect("sso_settings")
    urls = {
        "login_url": request.build_absolute_uri(reverse("sso_start", args=[company.slug])),
        "callback_url": request.build_absolute_uri(reverse("oidc_authentication_callback")),
    }
    context = {"form": form, "provider": provider, **urls}
    status = 400 if request.method == "POST" else 200
    return render(request, "sso/settings.html", context, status=status)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _login_with_next(nxt: str) -> str:
    url = reverse("login")
    return f"{url}?{urlencode({'next': nxt})}" if nxt else url
