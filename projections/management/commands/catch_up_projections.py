from django.core.management.base import BaseCommand

from projections import engine
from projections.management.options import chosen_projections
from projections.progress import ProgressBar, stdout_stream


class Command(BaseCommand):
    help = "Bring projections whose checkpoint is behind the log up to date (only missing events)."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--database", default="default")

    def handle(self, *args, names, batch_size, database, **options):
        projections = chosen_projections(names, batch_size=batch_size)
        for projection in projections:
            bar = ProgressBar(stdout_stream(self), projection.name)
            applied = engine.catch_up(
                projection, batch_size=batch_size, using=database, progress=bar
            )
            bar.finish()
            self.stdout.write(f"{projection.name}: applied {applied:,} event(s).")
