from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import commands
from accounts.exceptions import InvalidAccessChange, UserNotFound


class Command(BaseCommand):
    help = (
        "Issue a new one-time set-password link for an active user (e.g. whose invitation "
        "expired) and void the older ones. For a user who never set a password the link is "
        "printed (and e-mailed when EMAIL_HOST is set); for one who has a password it is only "
        "e-mailed to their own address."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="The company's slug.")
        parser.add_argument("--username", required=True, help="The user's username.")
        parser.add_argument(
            "--site-url",
            default=settings.SITE_URL,
            help="The site's address, to make the link absolute (default: SITE_URL).",
        )

    def handle(self, *args, company, username, site_url, **options):
        try:
            link = commands.operator_password_link(
                company_slug=company, username=username, site_url=site_url
            )
        except UserNotFound:
            raise CommandError(f"There is no active user {username!r} in {company!r}.") from None
        except InvalidAccessChange as error:
            raise CommandError(" ".join(m for ms in error.errors.values() for m in ms)) from None
        if link.emailed_to:
            self.stdout.write(f"A new link for {username} was e-mailed to {link.emailed_to}.")
            return
        self.stdout.write(f"{username} sets a password once at:")
        self.stdout.write(link.url)
        if not site_url:
            self.stdout.write("(Put the site's address in front, or set SITE_URL.)")
