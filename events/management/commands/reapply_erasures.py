"""`manage.py reapply_erasures`: destroy again every key the log's erasures destroyed.

For after a key store was restored from a backup taken before some erasure: each
`ErasureRecorded` in the log names its subjects; their keys made before it are destroyed again.
Safe to run at any time (it changes nothing when every erasure holds)."""

from django.core.management.base import BaseCommand

from events import erasure


class Command(BaseCommand):
    help = "Destroy again the keys of every subject the event log records as erased."

    def handle(self, *args, **options):
        destroyed = erasure.reapply_erasures()
        self.stdout.write(f"{destroyed} key(s) destroyed again.")
