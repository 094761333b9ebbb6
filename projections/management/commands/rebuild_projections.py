from django.core.management.base import BaseCommand, CommandError

from projections import engine
from projections.progress import ProgressBar, stdout_stream
from projections.registry import get_projections


class Command(BaseCommand):
    help = (
        "Replay the whole event log into fresh read models, built aside and swapped in "
        "atomically; the live read models stay in service until the swap."
    )

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="Projections to rebuild (default: all).")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--database", default="default")

    def handle(self, *args, names, batch_size, database, **options):
        try:
            projections = get_projections(names)
        except KeyError as error:
            raise CommandError(error.args[0]) from None
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        bar = ProgressBar(stdout_stream(self), "Rebuilding")
        result = engine.rebuild(projections, batch_size=batch_size, using=database, progress=bar)
        bar.finish()
        self.stdout.write(
            f"Rebuilt {', '.join(p.name for p in projections)}: {result.events:,} events "
            f"in {result.seconds:.2f}s ({result.rate:,.0f} events/s), head position {result.head}."
        )
