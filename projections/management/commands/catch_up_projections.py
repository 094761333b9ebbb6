from django.core.management.base import BaseCommand, CommandError

from projections import engine
from projections.progress import ProgressBar, stdout_stream
from projections.registry import get_projections


class Command(BaseCommand):
    help = "Bring projections whose checkpoint is behind the log up to date (only missing events)."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--database", default="default")

    def handle(self, *args, names, batch_size, database, **options):
        try:
            projections = get_projections(names)
        except KeyError as error:
            raise CommandError(error.args[0]) from None
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        for projection in projections:
            bar = ProgressBar(stdout_stream(self), projection.name)
            applied = engine.catch_up(
                projection, batch_size=batch_size, using=database, progress=bar
            )
            bar.finish()
            self.stdout.write(f"{projection.name}: applied {applied:,} event(s).")
