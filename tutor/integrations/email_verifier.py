"""E-mail deliverability check by verifier.meetchopra.com (non-existent mailboxes,
unknown domains, disposable addresses)."""
from dataclasses import dataclass
from urllib.parse import quote

DEFAULT_BASE_URL = "https://verifier.meetchopra.com"


class VerifierUnavailable(Exception):
    """No verdict: the caller falls back to the syntax check so registration goes on."""


# Why an address is refused, as our own words name it (forms.account_error_message);
# the service's English message is only logged.
SYNTAX = "syntax"
NO_MAIL = "no_mail"  # the domain takes no mail (no MX), or the mailbox does not exist
DISPOSABLE = "disposable"
UNDELIVERABLE = "undeliverable"  # any other refusal
# The service's error codes that EXTERNAL-APIS.md documents (2: "Disposable mailbox");
# a code not listed here is read from its message, and failing that is UNDELIVERABLE.
CODES = {2: DISPOSABLE}
WORDS = ((DISPOSABLE, ("disposable", "temporary", "throwaway")),
         (SYNTAX, ("syntax", "format", "malformed")),
         (NO_MAIL, ("mx", "domain", "mailbox", "not exist", "does not exist", "no such")))


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str = ""  # the service's message, as it said it
    code: object = None  # the service's error code, as it sent it

    @property
    def kind(self):
        """SYNTAX, NO_MAIL, DISPOSABLE or UNDELIVERABLE: why the address is refused."""
        if isinstance(self.code, int) and not isinstance(self.code, bool) \
                and self.code in CODES:
            return CODES[self.code]
        reason = self.reason.lower()
        for kind, words in WORDS:
            if any(word in reason for word in words):
                return kind
        return UNDELIVERABLE


def verify_email(email, *, token, base_url=DEFAULT_BASE_URL, timeout=3.0, session=None):
    """The service's verdict on `email`; VerifierUnavailable when there is none."""
    import requests
    url = f"{base_url}/verify/{quote(email, safe='@')}"
    try:
        response = (session or requests).get(url, params={"token": token}, timeout=timeout)
        # Any non-2xx — a bad token (401/403), rate limit (429), outage (5xx) — is
        # the service's problem, not the address's, so it must not refuse anyone.
        response.raise_for_status()
        payload = response.json()
    except (requests.RequestException, ValueError) as error:
        raise VerifierUnavailable(f"e-mail verifier request failed: {error}") from error
    return _verdict(payload)


def _verdict(payload):
    status = payload.get("status") if isinstance(payload, dict) else None
    if status is True:
        return Verdict(valid=True)
    error = payload.get("error") if status is False else None
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str):
        raise VerifierUnavailable(f"e-mail verifier answered in an unknown shape: {payload!r}")
    return Verdict(valid=False, reason=message, code=error.get("code"))
