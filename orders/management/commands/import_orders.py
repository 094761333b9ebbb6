import getpass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from accounts.models import Company
from orders import importing


class Command(BaseCommand):
    help = (
        "Import a company's orders from another system: ORDERS.csv (one row per order) and "
        "LINES.csv (one row per line). Each order goes through the workflow's commands with its "
        "original times, or is rejected whole (see <ORDERS>.rejects.csv). Re-running skips the "
        "references already imported. See orders/importing.py for the columns. Exit code: 0 "
        "when every row was imported or skipped, 2 when rows were rejected (or would be, with "
        "--dry-run), 1 when a file or option is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="The company's slug.")
        parser.add_argument("orders", type=Path, help="ORDERS.csv")
        parser.add_argument("lines", type=Path, help="LINES.csv")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything, write nothing."
        )
        parser.add_argument(
            "--timezone",
            default="",
            help="Zone of times without an offset (default: the company's time zone).",
        )
        parser.add_argument(
            "--decimal-comma",
            action="store_true",
            help='Prices are written with a decimal comma ("12,50", "1.250,00"), as German '
            "spreadsheets save them; semicolon-separated files are recognised either way.",
        )

    def handle(self, *args, company, orders, lines, dry_run, timezone, decimal_comma, **options):
        company_row = Company.objects.filter(slug=company).first()
        if company_row is None:
            raise CommandError(f"No company with the slug {company!r}.")
        timezone = timezone or company_row.time_zone
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"Unknown time zone {timezone!r} (e.g. Europe/Berlin).") from None
        console = Console(stderr=True)
        with Progress(
            TextColumn("Importing" if not dry_run else "Checking"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("orders", total=None)
            try:
                result = importing.import_orders(
                    company_row,
                    orders,
                    lines,
                    operator=getpass.getuser(),
                    zone=zone,
                    dry_run=dry_run,
                    decimal_comma=decimal_comma,
                    progress=lambda done: bar.advance(task, done),
                    on_total=lambda total: bar.update(task, total=total),
                )
            except importing.ImportFileError as error:
                raise CommandError(str(error)) from None
        self._report(result, orders, dry_run)

    def _report(self, result, orders: Path, dry_run: bool) -> None:
        """The summary on stdout; the rejects file next to ORDERS.csv describes this run only
        (written, overwritten or removed). Rejected rows end the command with exit code 2
        (`CommandError.returncode`, Django's hook for a command's exit status)."""
        verb = "would import" if dry_run else "imported"
        self.stdout.write(
            f"{verb} {result.imported}, skipped as already there {result.skipped}, "
            f"rejected {len(result.rejected)}; events {'to write' if dry_run else 'written'} "
            f"{result.events} in {result.seconds:.1f} s ({result.events_per_second:.0f} events/s)."
            f" New customers {'to create' if dry_run else 'created'}: "
            f"{len(result.new_customers)}; new SKUs: {len(result.new_skus)}."
        )
        path = importing.rejects_path(orders)
        if dry_run:  # writes nothing, not even the rejects file
            for reject in result.rejected:
                self.stdout.write(
                    f"rejected {reject.reference!r} row {reject.row}: {reject.reason}"
                )
            if path.exists():
                self.stdout.write(f"{path} is from an earlier run (left as is: dry run).")
        elif result.rejected:
            replaced = path.exists()
            importing.write_rejects(path, result.rejected)
            self.stdout.write(
                f"Rejects (reference, row, reason): {path}"
                + (" (replacing the earlier run's file)" if replaced else "")
            )
        elif path.exists():
            path.unlink()
            self.stdout.write(f"Removed {path}: its rejects were from an earlier run.")
        if result.rejected:
            count = len(result.rejected)
            outcome = (
                ("would be" if dry_run else "was")
                if count == 1
                else ("would be" if dry_run else "were")
            )
            raise CommandError(
                f"{count} order{'s' if count != 1 else ''} {outcome} rejected (exit code 2); "
                + ("see the list above." if dry_run else f"see {path}."),
                returncode=2,
            )
        self.stdout.write("No rows rejected.")
