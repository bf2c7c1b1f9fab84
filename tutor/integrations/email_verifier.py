"""E-mail deliverability check by verifier.meetchopra.com (non-existent mailboxes,
unknown domains, disposable addresses)."""
from dataclasses import dataclass
from urllib.parse import quote

import requests

DEFAULT_BASE_URL = "https://verifier.meetchopra.com"


class VerifierUnavailable(Exception):
    """No verdict: the caller falls back to the syntax check so registration goes on."""


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str = ""


def verify_email(email, *, token, base_url=DEFAULT_BASE_URL, timeout=3.0, session=None):
    """The service's verdict on `email`; VerifierUnavailable when there is none."""
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
    return Verdict(valid=False, reason=message)
