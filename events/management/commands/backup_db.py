"""`backup_db PATH`: a consistent, checked copy of the live database (`events/backup.py`)."""

from django.core.management.base import BaseCommand

from events.backup import backup


class Command(BaseCommand):
    help = (
        "Copy the SQLite database to PATH while the server runs (online backup API), check the "
        "copy (integrity_check and the event hash chain) and only then move it into place. "
        "On PostgreSQL: pg_dump to PATH, checked by restoring it into a scratch database."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Where to write the backup (a file name).")
        parser.add_argument("--force", action="store_true", help="Replace PATH if it exists.")
        parser.add_argument("--database", default="default", help="Database alias to copy.")
        parser.add_argument(
            "--pages",
            type=int,
            default=0,
            help=(
                "Pages copied per step (default 0: all in one step). In WAL mode one step reads "
                "a single snapshot without blocking writers; small steps start again whenever "
                "the server commits."
            ),
        )

    def handle(self, *args, path, force, database, pages, **options):
        self.stdout.write(backup(path, force=force, pages=pages, using=database))
