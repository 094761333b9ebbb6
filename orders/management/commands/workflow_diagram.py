from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from orders.diagram import mermaid, replace_readme_block


class Command(BaseCommand):
    help = (
        "Print the order workflow as a Mermaid state diagram, drawn from the FSM; with "
        "--write-readme, put it into the README between the workflow-diagram markers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--write-readme", action="store_true", help="Replace the README's diagram section."
        )
        parser.add_argument(
            "--readme",
            type=Path,
            default=Path(settings.BASE_DIR) / "README.md",
            help="The README to update (default: the project's README.md).",
        )

    def handle(self, *args, write_readme, readme, **options):
        diagram = mermaid()
        if not write_readme:
            self.stdout.write(diagram, ending="")
            return
        try:
            text = readme.read_text(encoding="utf-8")
            updated = replace_readme_block(text, diagram)
        except (OSError, ValueError) as error:
            raise CommandError(f"{readme}: {error}") from None
        if updated == text:
            self.stdout.write(f"{readme}: diagram already up to date.")
            return
        readme.write_text(updated, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"{readme}: diagram updated."))
