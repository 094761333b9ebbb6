from django.core.management.base import BaseCommand

from projections import engine, scratch


class Command(BaseCommand):
    help = (
        "Each projection's checkpoint, the log's head position, and the lag; and any scratch "
        "database left by a rebuild or verify that did not finish."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database, **options):
        rows = engine.status(database)
        self.stdout.write(f"{'projection':<16} {'checkpoint':>12} {'head':>12} {'lag':>10}")
        for row in rows:
            self.stdout.write(f"{row.name:<16} {row.checkpoint:>12} {row.head:>12} {row.lag:>10}")
        for leftover in scratch.leftovers(database):
            self.stdout.write(
                f"Leftover scratch database {leftover.path} ({leftover.size:,} bytes) of a "
                "rebuild or verify that did not finish: the next rebuild or verify removes it."
            )
