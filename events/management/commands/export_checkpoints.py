"""`export_checkpoints PATH`: a copy of the witnessed checkpoints for an auditor to keep.

An auditor who keeps this file somewhere the operators cannot write can later check the log
against it (`verify_events --witness PATH`): whatever happens to the database and the witness
folder afterwards, every event up to the highest position in the file is pinned by it.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from events import witness
from events.store import head_position


class Command(BaseCommand):
    help = (
        "Write the witnessed checkpoints (position, hash, time) to PATH ('-' for standard "
        "output) for an auditor to keep; check the log against them later with "
        "`verify_events --witness PATH`."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A new file (made read-only, 0440), or - for stdout.")
        parser.add_argument("--force", action="store_true", help="Replace PATH if it exists.")
        parser.add_argument("--database", default="default")

    def handle(self, *args, path, force, database, **options):
        source = witness.checkpoint_file(database)
        if path == "-":
            try:
                with open(source, "rb") as lines:
                    for checkpoint in witness.parse(lines):
                        if checkpoint is not None:
                            self.stdout.write(checkpoint.line().decode(), ending="")
            except OSError as error:
                raise CommandError(f"The witness {source} cannot be read: {error}") from None
            return
        target = Path(path).expanduser().absolute()
        if target.exists() and not force:
            raise CommandError(f"{target} already exists; use --force to replace it.")
        if not target.parent.is_dir():
            raise CommandError(f"The folder {target.parent} does not exist.")
        try:
            count = witness.copy(source, target)
        except OSError as error:
            raise CommandError(f"Could not export {source} to {target}: {error}") from None
        exported = witness.load(target)
        self.stdout.write(
            f"{count:,} checkpoints exported to {target} (read-only), up to position "
            f"{exported.head:,}; the log's head is at position {head_position(using=database):,}. "
            f"{witness.CHECKPOINTS_ARE_NOT_EVENTS} "
            f"Check the log against it later with: manage.py verify_events --witness {target}"
        )
