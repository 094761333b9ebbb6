"""`manage.py run_worker`: follow the log and run every subscriber until SIGTERM/SIGINT."""

from django.core.management.base import BaseCommand

from outbox.worker import Worker


class Command(BaseCommand):
    help = (
        "Run the subscribers that follow the event log (notifications, …) until stopped "
        "(SIGTERM/SIGINT finish the item in hand, release the leases and exit 0). Safe to run "
        "as several processes: each company is worked by one of them at a time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--poll", type=float, default=None, help="Seconds between polls (SQLite; default 0.5)."
        )

    def handle(self, *args, poll=None, **options):
        worker = Worker(poll_seconds=poll)
        self.stdout.write(f"Worker {worker.name} running (Ctrl-C or SIGTERM to stop)")
        self.stdout.flush()
        worker.run_forever()
        self.stdout.write(f"Worker {worker.name} stopped")
