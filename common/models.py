"""The base of every model of ours."""

import uuid

from django.db import models


class UUIDModel(models.Model):
    """Abstract base of every model of ours: a random UUID primary key, so ids are not guessable."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True
