"""Why a sign-in through the provider was refused: a message the person reads."""


class SignInRefused(Exception):
    """The provider's answer cannot sign this person in. `reason` is shown on the refusal page
    (never a token or a secret); `audit` says whether the refusal is recorded in the company's
    log (a person of the company refused by Ledgerline's rules) or only logged (a protocol
    failure: a forged, expired or misdirected token)."""

    def __init__(self, reason: str, *, audit: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.audit = audit
