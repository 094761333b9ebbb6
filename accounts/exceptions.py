"""Named errors of the team commands. Each message is written for the person who acted."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError, Invalid, NotFound, NotPermitted

# What someone without `accounts.manage_team` is told, per thing it guards.
TEAM_NOT_PERMITTED = _("Your role may not manage the team: ask a Manager.")
API_KEYS_NOT_PERMITTED = _("Your role may not manage API keys: ask a Manager.")
WEBHOOKS_NOT_PERMITTED = _("Your role may not manage webhooks: ask a Manager.")
SSO_NOT_PERMITTED = _("Your role may not change single sign-on: ask a Manager.")


class AccessError(DomainError):
    """Base of the team commands' errors: `str(error)` is the message to show."""


class AccessNotFound(AccessError, NotFound):
    """No such thing (user, API key, webhook endpoint) in the actor's company (HTTP 404, as
    for another company's)."""


class UserNotFound(AccessNotFound):
    """No such user in the actor's company (HTTP 404, as for another company's user)."""

    def __init__(self):
        super().__init__(gettext("No such user."))


class ApiKeyNotFound(AccessNotFound):
    """No such API key in the actor's company (HTTP 404)."""

    def __init__(self):
        super().__init__(gettext("No such API key."))


class TeamNotPermitted(AccessError, NotPermitted):
    """The actor may not manage the team, or what else the team's permission guards (API keys,
    webhooks, single sign-on): `what` says which, so nobody is told about "the team" on a page
    that is not (HTTP 403)."""

    def __init__(self, what: str = ""):
        super().__init__(what or TEAM_NOT_PERMITTED)


class LastManager(AccessError, Invalid):
    """The change would leave the company without an active Manager (HTTP 422)."""

    def __init__(self, username: str):
        super().__init__(
            gettext(
                "%(username)s is the company's last active Manager: make someone else a Manager "
                "first."
            )
            % {"username": username}
        )


class InvalidAccessChange(AccessError, Invalid):
    """Invalid input (HTTP 422). `errors` maps a field name ('' for the whole form) to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(
            " ".join(str(message) for messages in errors.values() for message in messages)
        )
