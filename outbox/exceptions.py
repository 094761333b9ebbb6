"""Errors of the outbox's commands; messages fit for the page."""


class OutboxError(Exception):
    """Base of the outbox's errors."""


class ItemNotFound(OutboxError):
    def __init__(self):
        super().__init__("No such parked item.")


class ItemNotParked(OutboxError):
    def __init__(self, status: str):
        super().__init__(f"This item is no longer parked (it is {status}): reload the page.")


class OutboxNotPermitted(OutboxError):
    def __init__(self):
        super().__init__("Only the ops desk may retry or skip deliveries.")
