import resource

from django.core.management.base import BaseCommand, CommandError

from projections import engine
from projections.management.options import add_processes_option, chosen_projections
from projections.progress import ProgressBar, stdout_stream
from projections.replaying import WorkerFailed


class Command(BaseCommand):
    help = (
        "Replay the whole event log into fresh read models, built aside and swapped in "
        "atomically; the live read models stay in service until the swap."
    )

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="Projections to rebuild (default: all).")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--database", default="default")
        add_processes_option(parser)

    def handle(self, *args, names, batch_size, database, processes, **options):
        projections = chosen_projections(names, batch_size=batch_size, processes=processes)
        bar = ProgressBar(stdout_stream(self), "Rebuilding")
        try:
            result = engine.rebuild(
                projections,
                batch_size=batch_size,
                using=database,
                progress=bar,
                processes=processes,
            )
        except WorkerFailed as error:
            raise CommandError(str(error)) from error
        finally:
            bar.finish()
        self.stdout.write(
            f"Rebuilt {', '.join(p.name for p in projections)}: {result.events:,} events "
            f"in {result.seconds:.2f}s ({result.rate:,.0f} events/s), "
            f"{_processes_and_memory(result.processes)}, head position {result.head}."
        )


def _processes_and_memory(processes: int) -> str:
    """How many processes replayed, and the peak resident memory of this one and of the
    largest worker (Linux reports `ru_maxrss` in KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if processes == 1:
        return f"1 process, peak memory {own:,.0f} MiB"
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return f"{processes} processes, peak memory {own:,.0f} MiB here, {workers:,.0f} MiB per worker"
