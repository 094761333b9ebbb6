from django.core.management.base import BaseCommand, CommandError

from events.verification import record, verify_log


class Command(BaseCommand):
    help = "Re-compute the event log's hash chain; exit non-zero at the first broken event."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--no-record", action="store_true", help="Do not store the outcome for the audit page."
        )

    def handle(self, *args, batch_size, database, no_record, **options):
        result = verify_log(batch_size=batch_size, using=database)
        if not no_record:
            record(result, using=database)
        if not result.ok:
            raise CommandError(result.summary)
        rate = result.events_checked / result.seconds if result.seconds else 0
        self.stdout.write(f"{result.summary} ({rate:,.0f} events/s)")
