import logging

from django.conf import settings
from django.core.mail import mail_admins
from django.core.management.base import BaseCommand, CommandError

from events import witness
from events.verification import record, verify_log

logger = logging.getLogger("events.verification")


class Command(BaseCommand):
    help = (
        "Re-compute the event log's hash chain and check it against the witnessed checkpoints "
        "(the configured witness and any exported files given); exit non-zero at the first "
        "broken or mismatching position."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--no-record",
            action="store_true",
            help="Do not store the outcome for the audit page, nor witness the head.",
        )
        parser.add_argument(
            "--witness",
            action="append",
            default=[],
            metavar="FILE",
            help="Also check against this exported checkpoint file (export_checkpoints); "
            "may be given several times.",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Fail when events after the last witnessed position exist (else a warning).",
        )
        parser.add_argument(
            "--mail-admins",
            action="store_true",
            help="On failure, also e-mail ADMINS (Django's mail settings; nothing if unset).",
        )

    def handle(self, *args, batch_size, database, no_record, strict, mail_admins, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        configured = witness.load_configured(database)
        exported = [witness.load(path) for path in options["witness"]]
        live_witness, notes = witness.checkpoint_file(database), []
        if exported and not witness.location(database).is_dir():
            # A copy checked elsewhere against the files it came with (a restored backup).
            notes.append(
                f"{configured.label}: {configured.problem}; checked against the files given"
            )
            configured, live_witness = None, None
        result = verify_log(
            batch_size=batch_size,
            using=database,
            witnesses=[w for w in (configured, *exported) if w is not None],
            live_witness=live_witness,
            strict=strict,
        )
        result.warnings[:0] = notes
        if result.ok and not no_record and configured is not None and not result.unwitnessed_events:
            # A passing run is itself a checkpoint (the head it verified), held outside; but
            # only of a log the witness already vouches for up to its head: events after the
            # last witnessed position were never seen committed by the application (a forgery
            # with the key looks the same), and witnessing them would launder them (#24 §15).
            failed = witness.record(
                result.head_position, result.head_hash, using=database, by="verify_events"
            )
            if failed:
                result.ok, result.problem = (
                    False,
                    (
                        f"the log verifies ({result.summary}), but its head could not be written "
                        f"to the witness ({failed}): new events are not being witnessed"
                    ),
                )
        if not no_record:
            record(result, using=database)
        for warning in result.warnings:
            logger.warning("verify_events: %s", warning)
            self.stderr.write(f"WARNING: {warning}")
        if not result.ok:
            logger.error("verify_events: %s", result.summary)
            if mail_admins and settings.ADMINS:
                _mail(result.summary)
            raise CommandError(result.summary)
        rate = result.events_checked / result.seconds if result.seconds else 0
        self.stdout.write(f"{result.summary} ({rate:,.0f} events/s)")
        self.stdout.write(f"  witnesses: {result.witness_details}")


def _mail(summary: str) -> None:
    """Best effort: an unreachable mail server must not hide the failure (the exit status)."""
    try:
        mail_admins("Ledgerline: the event log failed verification", summary, fail_silently=False)
    except OSError as error:
        logger.error("verify_events: could not e-mail ADMINS: %s", error)
