"""Sessions move to `accounts.UserSession` (the user's id in a column). The unexpired sessions
of Django's table are copied over with their user, so nobody is signed out by the upgrade: a
one-time read of every session, at deployment."""

import uuid

from django.db import migrations, models
from django.utils import timezone


def copy_live_sessions(apps, schema_editor):
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    old = apps.get_model("sessions", "Session")
    new = apps.get_model("accounts", "UserSession")
    decoder = SessionStore()
    batch = []
    for session in old.objects.filter(expire_date__gt=timezone.now()).iterator():
        try:
            user_id = uuid.UUID(str(decoder.decode(session.session_data).get(SESSION_KEY)))
        except ValueError:
            user_id = None
        batch.append(
            new(
                session_key=session.session_key,
                session_data=session.session_data,
                expire_date=session.expire_date,
                user_id=user_id,
            )
        )
        if len(batch) == 1000:
            new.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    new.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_sign_in_bursts"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="UserSession",
            fields=[
                (
                    "session_key",
                    models.CharField(
                        max_length=40,
                        primary_key=True,
                        serialize=False,
                        verbose_name="session key",
                    ),
                ),
                ("session_data", models.TextField(verbose_name="session data")),
                (
                    "expire_date",
                    models.DateTimeField(db_index=True, verbose_name="expire date"),
                ),
                ("user_id", models.UUIDField(db_index=True, null=True)),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "db_table": "accounts_user_session",
                "abstract": False,
            },
        ),
        migrations.RunPython(copy_live_sessions, migrations.RunPython.noop, elidable=True),
    ]
