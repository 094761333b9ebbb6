"""`manage.py check_keys`: which personal data in the log can no longer be read because its key
is missing from the key store (lost, or an older copy restored), as opposed to erased on
purpose. Lists the affected streams per company; exits 1 if there are any."""

from django.core.management.base import BaseCommand, CommandError

from events import keystore, sealing
from events.models import Event


class Command(BaseCommand):
    help = "List the streams whose sealed personal data has lost its key (not erased)."

    def handle(self, *args, **options):
        by_key: dict[str, set] = {}
        sealed = Event.objects.filter(payload__icontains='"sealed"').only(
            "company_id", "stream_type", "stream_id", "payload"
        )
        events = 0
        for event in sealed.iterator(chunk_size=2000):
            events += 1
            for key_id in sealing.key_ids(event.payload):
                by_key.setdefault(key_id, set()).add(
                    (str(event.company_id), event.stream_type, str(event.stream_id))
                )
        missing = keystore.missing_keys(by_key)
        streams = sorted({stream for key in missing for stream in by_key[key]})
        self.stdout.write(
            f"{events:,} events hold sealed personal data under {len(by_key):,} keys; "
            f"{len(missing):,} keys are missing from the key store."
        )
        for company, stream_type, stream_id in streams:
            self.stdout.write(f"unreadable: company {company} {stream_type} {stream_id}")
        if streams:
            raise CommandError(
                f"{len(streams)} stream(s) hold personal data that reads [unreadable] "
                "(restore the key store from `backup_keys`, then run reapply_erasures)."
            )
