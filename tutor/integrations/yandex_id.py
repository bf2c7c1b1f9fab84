"""Yandex ID (https://yandex.ru/dev/id/doc/en/): OAuth 2.0's authorization-code flow
with PKCE, through Authlib's requests client, and the user's data from
login.yandex.ru/info.

- authorize: GET {oauth}/authorize?response_type=code&client_id&redirect_uri&state
  &code_challenge&code_challenge_method=S256; Yandex sends the browser back to the
  redirect URI with ?code=…&state=… (or ?error=access_denied&state=…).
- token: POST {oauth}/token (form: grant_type=authorization_code, code, code_verifier;
  the client's id and secret by HTTP basic auth) → {"token_type": "bearer",
  "access_token", "expires_in", "refresh_token"}, or 400 {"error": "invalid_grant",
  "error_description": …}.
- info: GET {login}/info?format=json with `Authorization: OAuth <token>` →
  {"id", "login", "client_id", "first_name", "last_name", "display_name",
  "real_name", "default_email", "emails", "psuid", …}; the fields present depend on
  the rights the app was given (login:info, login:email)."""
from dataclasses import dataclass

DEFAULT_OAUTH_URL = "https://oauth.yandex.ru"
DEFAULT_LOGIN_URL = "https://login.yandex.ru"
SCOPE = "login:info login:email"
TIMEOUT = 10.0


class YandexUnavailable(Exception):
    """Yandex did not give us the user: refused the code, answered something else, or
    did not answer. The person is told to try again; nothing is changed."""


@dataclass(frozen=True)
class Authorization:
    url: str  # where to send the browser
    state: str  # to be found again in the callback
    verifier: str  # PKCE: kept by us, proven at the token endpoint


@dataclass(frozen=True)
class YandexUser:
    id: str
    login: str
    first_name: str
    last_name: str
    email: str | None


# authlib (with cryptography and joserfc, some 250 modules) loads with the first
# sign-in through Yandex, not in every web worker.

def _client(client_id, client_secret, redirect_uri):
    from authlib.integrations.requests_client import OAuth2Session
    return OAuth2Session(client_id, client_secret, redirect_uri=redirect_uri,
                         code_challenge_method="S256", default_timeout=TIMEOUT)


def authorization(*, client_id, redirect_uri, oauth_url=DEFAULT_OAUTH_URL):
    """The authorize address with a fresh state and PKCE verifier."""
    from authlib.common.security import generate_token
    verifier = generate_token(64)
    url, state = _client(client_id, None, redirect_uri).create_authorization_url(
        f"{oauth_url}/authorize", code_verifier=verifier, scope=SCOPE)
    return Authorization(url=url, state=state, verifier=verifier)


def user_for_code(code, verifier, *, client_id, client_secret, redirect_uri,
                  oauth_url=DEFAULT_OAUTH_URL, login_url=DEFAULT_LOGIN_URL):
    """The Yandex user who approved: the code is exchanged (with the PKCE verifier)
    for a token, and the token for the user's data. Raises YandexUnavailable."""
    import requests
    from authlib.integrations.base_client import OAuthError
    try:
        token = _client(client_id, client_secret, redirect_uri).fetch_token(
            f"{oauth_url}/token", grant_type="authorization_code", code=code,
            code_verifier=verifier)
        response = requests.get(f"{login_url}/info", params={"format": "json"},
                                headers={"Authorization": f"OAuth {token['access_token']}"},
                                timeout=TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except (OAuthError, requests.RequestException, ValueError, KeyError, TypeError) as error:
        raise YandexUnavailable(f"Yandex ID: {error}") from error
    return _user(data)


def _text(data, name, limit=100):
    value = data.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _user(data):
    if not isinstance(data, dict) or not str(data.get("id") or "").strip():
        raise YandexUnavailable("Yandex ID answered without a user id")
    return YandexUser(id=str(data["id"]).strip()[:64], login=_text(data, "login", 64),
                      first_name=_text(data, "first_name"),
                      last_name=_text(data, "last_name"),
                      email=_text(data, "default_email", 254) or None)
