"""`manage.py erase_customer --company SLUG --email ADDRESS --reason TEXT`: erase one person's
personal data in a company (docs/privacy.md). Their keys are destroyed and one `ErasureRecorded`
is appended; the log still verifies. `--customer ID` once customers are records."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Company
from common.exceptions import DomainError
from events import store
from orders import erasure


class Command(BaseCommand):
    help = "Erase a customer's personal data (crypto-shredding): the log keeps verifying."

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="The company's slug.")
        parser.add_argument("--email", default="", help="The customer's e-mail address.")
        parser.add_argument("--customer", default="", help="The customer's id (customer records).")
        parser.add_argument("--reason", required=True, help="Why (recorded in the log; no names).")

    def handle(self, *args, company, email, customer, reason, **options):
        found = Company.objects.filter(slug__iexact=company).first()
        if found is None:
            raise CommandError(f"No company with the slug {company!r}.")
        if not (email or customer):
            raise CommandError("Say whose data: --email ADDRESS or --customer ID.")
        try:
            with store.metadata_added(via="manage.py erase_customer"):
                done = erasure.erase_customer(
                    company_id=found.pk, email=email, customer_id=customer, reason=reason
                )
        except DomainError as error:
            raise CommandError(str(error)) from error
        event = done.event
        self.stdout.write(
            f"Erased: {len(done.orders)} order(s), {done.keys_destroyed} key(s) destroyed; "
            f"recorded at position {event.position} (event {event.id})."
        )
        if event.data.clear_streams:
            self.stdout.write(
                f"Not reachable: {len(event.data.clear_streams)} order(s) were written before "
                "personal data was sealed; their personal data stays readable in the log "
                "(docs/privacy.md)."
            )
