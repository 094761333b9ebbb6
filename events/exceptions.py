"""Domain errors of the event store. Their messages are fit to show a person."""

from django.utils.translation import gettext, gettext_noop

from common.exceptions import Conflict, DomainError
from common.translatable import Translatable


class EventStoreError(DomainError):
    """Base of the store's errors."""


class ConcurrencyError(EventStoreError, Conflict):
    """The stream moved on since the caller read it: someone else acted first."""

    def __init__(self, stream_id, expected_version: int, actual_version: int):
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            # Neutral on who: it may be the same user in another window (pages name the actor).
            gettext(
                "This order was changed since your page showed it (you saw version %(seen)s, it "
                "is now at version %(now)s). Reload the page to see the current state, then try "
                "again."
            )
            % {"seen": expected_version, "now": actual_version}
        )


class AppendOnlyError(EventStoreError):
    """Events are never changed or deleted."""

    def __init__(self, what: str = "changed or deleted", rows: str = "events"):
        super().__init__(f"The event log is append-only: {rows} cannot be {what}.")


class UnknownEventType(EventStoreError):
    pass


class OccurredAtOutOfRange(EventStoreError, ValueError):
    """An event's time that the hash chain, the database or a page could not hold or show."""

    def __init__(self, occurred_at, earliest, latest):
        self.occurred_at = occurred_at
        super().__init__(
            Translatable(
                gettext_noop(
                    "The time %(time)s cannot be recorded: event times must fall between "
                    "%(earliest)s and %(latest)s (UTC)."
                ),
                {
                    "time": occurred_at.isoformat(),
                    "earliest": earliest.isoformat(),
                    "latest": latest.isoformat(),
                },
            )
        )


class StreamOwnershipError(EventStoreError):
    """The stream id already belongs to another stream type or company: a stream id names one
    stream, of one type, of one company, for good (GUIDE invariant 2)."""

    def __init__(self, stream_id, stream_type: str, company_id, owner: tuple[str, object]):
        self.stream_id, self.stream_type, self.company_id = stream_id, stream_type, company_id
        self.owner = owner
        super().__init__(
            f"The stream {stream_id} belongs to another record ({owner[0]}): nothing was "
            "written. Reload the page and try again."
        )
