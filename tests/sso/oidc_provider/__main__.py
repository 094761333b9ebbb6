"""Run the test OpenID Connect provider: migrate its own SQLite file, then serve with waitress.

Environment: PROVIDER_PORT, PROVIDER_DB, PROVIDER_KEY_FILE (an RSA private key, PEM),
PROVIDER_SETUP_TOKEN. Prints "READY" once it accepts connections.
"""

import os
import sys

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.sso.oidc_provider.settings"

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from waitress import serve  # noqa: E402

call_command("migrate", verbosity=0, interactive=False)
application = get_wsgi_application()
print("READY", flush=True)
sys.stdout.flush()
serve(application, host="127.0.0.1", port=int(os.environ["PROVIDER_PORT"]), threads=4, _quiet=True)
