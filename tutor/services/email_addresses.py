"""Checking an e-mail address someone types: its syntax, then (when a token is
configured) the outside verifier's verdict. Registration, the profile and the
teacher's student form use it through their forms."""
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from tutor.integrations import email_verifier
from tutor.services.accounts import AccountError


class EmailRejected(AccountError):
    """The verifier refused the address. `kind`: why, in our own terms
    (email_verifier.SYNTAX, NO_MAIL, DISPOSABLE, UNDELIVERABLE); `reason`: the service's
    own (English) words, for the log."""
    field = "email"

    def __init__(self, reason="", kind=email_verifier.UNDELIVERABLE):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


class EmailMalformed(AccountError):
    field = "email"


def check_email_address(raw):
    """The normalised address, or EmailMalformed / EmailRejected. The outside
    verifier is asked when a token is configured; when it cannot answer, the syntax
    check alone decides and the event is logged."""
    try:
        address = validate_email((raw or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise EmailMalformed()
    address = address.lower()
    token = current_app.config["EMAIL_VERIFIER_TOKEN"]
    if not token:
        return address
    try:
        verdict = email_verifier.verify_email(
            address, token=token, base_url=current_app.config["EMAIL_VERIFIER_URL"])
    except email_verifier.VerifierUnavailable as error:
        current_app.logger.warning("e-mail verifier unavailable, syntax check only: %s", error)
        return address
    if not verdict.valid:
        current_app.logger.info("e-mail verifier refused an address: %s (code %r)",
                                verdict.reason, verdict.code)
        raise EmailRejected(verdict.reason, verdict.kind)
    return address
