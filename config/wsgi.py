"""WSGI entry point (waitress serves `config.wsgi:application`)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

from config.env import default_settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())
application = get_wsgi_application()

# Django, its apps and their modules, loaded above, live as long as the server process: moved out
# of the cyclic collector's generations (gc.freeze), a full collection no longer walks them. It
# did about once per thousand requests, and that request waited 150-200 ms for it (measured with
# `gc.callbacks` on the dashboard); the young collections between requests are unchanged.
gc.freeze()
