from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views
from .tokens import password_link_tokens

urlpatterns = [
    path("team/", views.team, name="team"),
    path("team/<uuid:user_id>/role/", views.change_role, name="team_role"),
    path("team/<uuid:user_id>/deactivate/", views.deactivate, name="team_deactivate"),
    path("team/<uuid:user_id>/reactivate/", views.reactivate, name="team_reactivate"),
    path("team/<uuid:user_id>/unlock/", views.unlock, name="team_unlock"),
    path(
        "team/<uuid:user_id>/revoke-invitation/",
        views.revoke_invitation,
        name="team_revoke_invitation",
    ),
    path("team/<uuid:user_id>/password-link/", views.password_link, name="team_password_link"),
    path("team/api-keys/", views.api_keys, name="api_keys"),
    path("team/api-keys/<uuid:key_id>/revoke/", views.revoke_api_key, name="api_key_revoke"),
    path("companies/", views.companies, name="companies"),
    path("company/time-zone/", views.company_time_zone, name="company_time_zone"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    # Django's reset confirmation, with the tokens that die with the user's next access event.
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(token_generator=password_link_tokens),
        name="password_reset_confirm",
    ),
    # The one-time set-password link (accounts.commands.password_link_path): Django's own view.
    path(
        "accounts/set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/set_password.html",
            token_generator=password_link_tokens,
            success_url=reverse_lazy("set_password_done"),
        ),
        name="set_password",
    ),
    path(
        "accounts/set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/set_password_done.html"
        ),
        name="set_password_done",
    ),
]
