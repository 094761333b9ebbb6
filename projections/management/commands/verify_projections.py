from django.core.management.base import BaseCommand, CommandError

from projections import engine
from projections.management.options import add_processes_option, chosen_projections
from projections.replaying import WorkerFailed


class Command(BaseCommand):
    help = "Rebuild in a scratch database and compare with the live read models row by row."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="Projections to verify (default: all).")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--limit", type=int, default=20, help="Differences to print at most.")
        parser.add_argument("--database", default="default")
        add_processes_option(parser)

    def handle(self, *args, names, batch_size, limit, database, processes, **options):
        projections = chosen_projections(names, batch_size=batch_size, processes=processes)
        try:
            differences = engine.verify(
                projections,
                batch_size=batch_size,
                using=database,
                limit=limit,
                processes=processes,
            )
        except WorkerFailed as error:
            raise CommandError(str(error)) from error
        if not differences:
            self.stdout.write("OK")
            return
        for diff in differences:
            self.stdout.write(f"{diff.projection} {diff.table} {diff.row_id}: {diff.problem}")
        raise CommandError(
            f"{len(differences)} differing row(s) (showing at most {limit}); "
            "run rebuild_projections to repair."
        )
