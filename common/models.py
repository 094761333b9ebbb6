"""The base of every model of ours."""

import uuid

from django.db import models


class UUIDModel(models.Model):
    """Abstract base of every model of ours: a random UUID primary key, so ids are not guessable."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class RowIdField(models.BigIntegerField):
    """A 64-bit integer primary key that is SQLite's rowid (declared `integer`, not `bigint`,
    SQLite's one spelling for that): the table is its own primary key index instead of a
    table plus a separate index on the key, one B-tree fewer to write per row."""

    def db_type(self, connection):
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)
