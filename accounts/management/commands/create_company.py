from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import commands
from accounts.exceptions import InvalidAccessChange


class Command(BaseCommand):
    help = (
        "Create a company and its first Manager, and print a one-time link for the manager to "
        "set a password (also e-mailed when EMAIL_HOST is set). Nothing is created on an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The company's name (unique).")
        parser.add_argument("--slug", required=True, help="Short id in order numbers (unique).")
        parser.add_argument("--currency", required=True, help="ISO 4217 code, e.g. EUR.")
        parser.add_argument("--manager", required=True, help="The first Manager's username.")
        parser.add_argument("--email", required=True, help="The first Manager's e-mail address.")
        parser.add_argument(
            "--timezone",
            default="UTC",
            help="IANA time zone of the company, e.g. Europe/Berlin (default: UTC).",
        )
        parser.add_argument(
            "--site-url",
            default=settings.SITE_URL,
            help="The site's address, to make the link absolute (default: SITE_URL).",
        )

    def handle(self, *args, name, slug, currency, manager, email, timezone, site_url, **options):
        try:
            link = commands.create_company(
                name=name,
                slug=slug,
                currency=currency,
                manager_username=manager,
                manager_email=email,
                site_url=site_url,
                time_zone=timezone,
            )
        except InvalidAccessChange as error:
            raise CommandError(_lines(error.errors)) from None
        company = link.user.company
        self.stdout.write(
            f"Created {company.name} ({company.slug}, {company.currency}, {company.time_zone})."
        )
        self.stdout.write(f"Manager {link.user.username} sets a password once at:")
        self.stdout.write(link.url)
        if not site_url:
            self.stdout.write("(Put the site's address in front, or set SITE_URL.)")
        if link.emailed_to:
            self.stdout.write(f"The link was e-mailed to {link.emailed_to}.")


def _lines(errors: dict[str, list[str]]) -> str:
    options = {"name": "--name", "slug": "--slug", "currency": "--currency"}
    options |= {"time_zone": "--timezone"}
    options |= {"username": "--manager", "email": "--email"}
    return "\n".join(
        f"{options.get(field, field)}: {message}"
        for field, messages in errors.items()
        for message in messages
    )
