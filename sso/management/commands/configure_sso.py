import os

from django.core.management.base import BaseCommand, CommandError

from accounts.exceptions import InvalidAccessChange
from accounts.models import Company, PasswordLogin
from sso import commands


class Command(BaseCommand):
    help = (
        "Set a company's identity provider (OpenID Connect) for single sign-on, as a Manager "
        "can on Team → Sign-in settings. Recorded as an access event by 'system'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="The company's slug.")
        parser.add_argument("--name", required=True, help='Shown as "Sign in with <name>".')
        parser.add_argument("--issuer", required=True, help="The provider's issuer URL.")
        parser.add_argument("--client-id", required=True)
        parser.add_argument(
            "--client-secret-env",
            metavar="VARIABLE",
            help="The environment variable that holds the client secret (never on the command "
            "line, where shell history and ps would show it). Omit to keep the stored one.",
        )
        parser.add_argument(
            "--domain",
            action="append",
            required=True,
            help="An e-mail domain of the company (repeat for several).",
        )
        parser.add_argument("--groups-claim", default="groups")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="GROUP=ROLE",
            help="A provider group and the role it gives (repeat; the first match wins).",
        )
        parser.add_argument(
            "--password-login", choices=PasswordLogin.values, default=PasswordLogin.EVERYONE
        )
        parser.add_argument("--disable", action="store_true", help="Switch single sign-on off.")

    def handle(self, *args, **options):
        company = Company.objects.filter(slug=options["company"]).first()
        if company is None:
            raise CommandError(f"--company: no company with slug {options['company']!r}.")
        secret = None
        if options["client_secret_env"]:
            secret = os.environ.get(options["client_secret_env"], "")
            if not secret:
                raise CommandError(
                    f"--client-secret-env: ${options['client_secret_env']} is empty."
                )
        pairs = []
        for item in options["map"]:
            group, sep, role = item.rpartition("=")
            if not sep or not group:
                raise CommandError(f"--map: write GROUP=ROLE, not {item!r}.")
            pairs.append((group, role))
        try:
            provider = commands.configure_provider(
                actor=None,
                company=company,
                name=options["name"],
                issuer=options["issuer"],
                client_id=options["client_id"],
                client_secret=secret,
                email_domains=options["domain"],
                groups_claim=options["groups_claim"],
                role_map=pairs,
                password_login=options["password_login"],
                enabled=not options["disable"],
            )
        except InvalidAccessChange as error:
            raise CommandError(
                "\n".join(f"{field}: {m}" for field, ms in error.errors.items() for m in ms)
            ) from None
        state = "on" if provider.enabled else "off"
        self.stdout.write(f"Single sign-on for {company.name} is {state}: {provider.issuer}")
