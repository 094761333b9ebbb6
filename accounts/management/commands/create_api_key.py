from django.core.management.base import BaseCommand, CommandError

from accounts import commands
from accounts.exceptions import InvalidAccessChange
from accounts.models import Company, Role


class Command(BaseCommand):
    help = (
        "Create an API key for a company and print it once (only its hash is stored). The key "
        "may do what its role may; its actions appear in the log as '<name> (API key)'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="The company's slug.")
        parser.add_argument("--role", required=True, choices=Role.values, help="The key's role.")
        parser.add_argument("--name", required=True, help="Who uses it, e.g. web-shop (unique).")

    def handle(self, *args, company, role, name, **options):
        found = Company.objects.filter(slug=company).first()
        if found is None:
            raise CommandError(f"No company with the slug {company!r}.")
        try:
            issued = commands.create_api_key(actor=None, company=found, name=name, role=role)
        except InvalidAccessChange as error:
            raise CommandError(str(error)) from None
        self.stderr.write(
            f"Created the API key {issued.api_key.name!r} ({role}) for {found.name}. "
            "It is shown only now:"
        )
        self.stdout.write(issued.secret)
