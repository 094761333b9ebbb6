"""`manage.py backup_keys PATH`: a copy of the key store (events/keystore.py), on its own.

The log's backups (`backup_db`) never hold the keys; this copy never holds the log. Keep key
backups apart from log backups and only as long as you need them to recover from losing the key
store (docs/privacy.md: 7 days is the default advice): a key backup taken before an erasure
holds the erased person's keys. After restoring one, run `manage.py reapply_erasures`.
"""

import os
import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from events import backup_postgres, keystore


class Command(BaseCommand):
    help = "Copy the key store of personal data (never part of backup_db) to PATH."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file to write (must not exist).")

    def handle(self, *args, path, **options):
        target = Path(path)
        if target.exists():
            raise CommandError(f"{target} exists already.")
        if connection.vendor == "postgresql":
            backup_postgres.dump_keys(target)
        else:
            source = keystore.key_store_path()
            if source is None or not source.exists():
                raise CommandError("There is no key store file to copy.")
            partial = target.with_name(f".{target.name}.partial")
            live = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            copy = sqlite3.connect(partial)
            try:
                live.backup(copy)
                (result,) = copy.execute("PRAGMA integrity_check").fetchone()
            finally:
                live.close()
                copy.close()
            if result != "ok":
                partial.unlink(missing_ok=True)
                raise CommandError(f"The copy failed its integrity check: {result}")
            os.replace(partial, target)
        self.stdout.write(f"Key store copied to {target} ({target.stat().st_size:,} bytes).")
