from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "Single sign-on (OpenID Connect)"

    def ready(self):
        from . import events  # noqa: F401  (registers the event types)
