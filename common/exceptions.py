"""The one root of our domain errors, and the one table that turns them into HTTP statuses.

Every error a command raises for a person (an order's, the event store's, the team's) is a
`DomainError`: `str(error)` is the message fit for the page. Each also says what kind of refusal
it is by one of the four kinds below, and `status_for` maps the kind to its status, for the
pages and the API alike. `refused` is where a refusal becomes a status: it logs the one line
per refusal there (commands themselves do not log).
"""

from __future__ import annotations

import logging

logger = logging.getLogger("ledgerline.commands")


class DomainError(Exception):
    """Root of every domain error: `str(error)` is the message for the person who acted."""


class NotFound(DomainError):
    """No such object for this user (another company's is not found either)."""


class NotPermitted(DomainError):
    """The user's role may not do this."""


class Conflict(DomainError):
    """Someone else acted first, or this was already done."""


class Invalid(DomainError):
    """The input or the object's state does not allow it."""


# The first kind an error is an instance of decides; a DomainError of no kind is a 422.
STATUS = ((NotFound, 404), (NotPermitted, 403), (Conflict, 409), (DomainError, 422))


def status_for(error: DomainError) -> int:
    """The HTTP status of a domain error (see `STATUS`)."""
    return next(code for kind, code in STATUS if isinstance(error, kind))


def refused(error: DomainError, *, command: str, user, **subject) -> int:
    """Log the refusal of `command` for `user` once (one warning line, with the error's type
    and message; `subject` names what it was about, e.g. order=<id>) and return its status."""
    about = " ".join(f"{name}=%s" for name in subject)
    logger.warning(
        f"command_failed command=%s {about} user=%s error=%s reason=%r".replace("  ", " "),
        command,
        *subject.values(),
        getattr(user, "username", "-"),
        type(error).__name__,
        str(error),
    )
    return status_for(error)
