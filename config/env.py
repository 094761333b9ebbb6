"""Which settings module to use when DJANGO_SETTINGS_MODULE is not set: the one in `.env`."""

from decouple import config


def default_settings_module() -> str:
    return config("DJANGO_SETTINGS_MODULE", default="config.settings.dev")
