"""A fake Yandex ID on pytest-httpserver, speaking the shapes of
https://yandex.ru/dev/id/doc/en/ (codes, tokens, user information):

- GET /authorize?response_type=code&client_id&redirect_uri&state&code_challenge
  &code_challenge_method: the person signed in at Yandex (`person`) approves at once
  and the browser is sent back to redirect_uri?code=…&state=… (with `denied`:
  ?error=access_denied&error_description=…&state=…). An unknown client or a bad
  request answers Yandex's plain 400 page instead of redirecting.
- POST /token (grant_type=authorization_code, code, code_verifier; the client by HTTP
  basic auth or client_id/client_secret in the body): {"token_type": "bearer",
  "access_token", "expires_in", "refresh_token"}; 400 {"error": "invalid_grant",
  "error_description": "Code has expired"} for a code unknown, used or whose PKCE
  verifier does not match; 401 {"error": "invalid_client", …} for a wrong client.
- GET /info?format=json with `Authorization: OAuth <token>`: the person's data
  (id, login, client_id, display_name, real_name, first_name, last_name, sex,
  default_email, emails, psuid); 401 without a valid token."""
import base64
import hashlib
import itertools
import json
import secrets
import threading
from urllib.parse import urlencode

import pytest
from werkzeug import Response

CLIENT_ID = "b1e9c0ffee1d4e6a9d1b0a2c3d4e5f60"
CLIENT_SECRET = "5e3c9f0a7b2d4c1e8f6a0b9c8d7e6f5a"

ANNA = {"id": "1130000012345678", "login": "anna.volkova", "first_name": "Анна",
        "last_name": "Волкова", "default_email": "anna.volkova@yandex.ru"}


def _json(payload, status=200):
    return Response(json.dumps(payload, ensure_ascii=False), status=status,
                    content_type="application/json")


def _challenge(verifier):
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class FakeYandex:
    def __init__(self, httpserver):
        self.url = httpserver.url_for("").rstrip("/")
        self.person = dict(ANNA)  # who is signed in at Yandex and approves
        self.denied = False  # the person presses "cancel" instead
        self.codes = {}  # code -> {"challenge", "redirect_uri", "person"}
        self.tokens = {}  # access token -> person
        self.authorize_requests = []  # the query of each /authorize
        self.token_requests = []  # the form of each /token
        self.serial = itertools.count(1)
        self.lock = threading.Lock()
        httpserver.expect_request("/authorize", method="GET").respond_with_handler(
            self._authorize)
        httpserver.expect_request("/token", method="POST").respond_with_handler(self._token)
        httpserver.expect_request("/info", method="GET").respond_with_handler(self._info)

    def _authorize(self, request):
        query = request.args
        with self.lock:
            self.authorize_requests.append(dict(query))
            if query.get("client_id") != CLIENT_ID:
                return Response("400 Bad Request: invalid client_id", status=400,
                                content_type="text/html")
            if (query.get("response_type") != "code" or not query.get("redirect_uri")
                    or query.get("code_challenge_method") not in ("S256", "plain")
                    or not query.get("code_challenge")):
                return Response("400 Bad Request", status=400, content_type="text/html")
            back = {"state": query["state"]} if query.get("state") else {}
            if self.denied:
                back = {"error": "access_denied", "error_description": "User denied access",
                        **back}
            else:
                code = str(next(self.serial)) + secrets.token_hex(4)
                self.codes[code] = {"challenge": query["code_challenge"],
                                    "method": query["code_challenge_method"],
                                    "redirect_uri": query["redirect_uri"],
                                    "person": dict(self.person)}
                back = {"code": code, **back}
        separator = "&" if "?" in query["redirect_uri"] else "?"
        return Response(status=302,
                        headers={"Location": query["redirect_uri"] + separator + urlencode(back)})

    def _client_of(self, request):
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            return auth.username, auth.password
        return request.form.get("client_id"), request.form.get("client_secret")

    def _token(self, request):
        form = request.form
        with self.lock:
            self.token_requests.append(dict(form))
            if self._client_of(request) != (CLIENT_ID, CLIENT_SECRET):
                return _json({"error": "invalid_client",
                              "error_description": "Client not found"}, 401)
            if form.get("grant_type") != "authorization_code":
                return _json({"error": "unsupported_grant_type",
                              "error_description": "Unsupported grant type"}, 400)
            issued = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            expected = verifier if issued and issued["method"] == "plain" else \
                _challenge(verifier)
            if issued is None or not verifier or expected != issued["challenge"]:
                return _json({"error": "invalid_grant",
                              "error_description": "Code has expired"}, 400)
            token = "y0_" + secrets.token_urlsafe(32)
            self.tokens[token] = issued["person"]
        return _json({"token_type": "bearer", "access_token": token,
                      "expires_in": 31536000, "refresh_token": "1:" + secrets.token_hex(16)})

    def _info(self, request):
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("OAuth ") if header.startswith("OAuth ") else \
            request.args.get("oauth_token", "")
        with self.lock:
            person = self.tokens.get(token)
        if person is None:
            return Response("", status=401)
        name = " ".join(filter(None, (person.get("first_name"), person.get("last_name"))))
        email = person.get("default_email")
        return _json({"id": person["id"], "login": person["login"], "client_id": CLIENT_ID,
                      "display_name": person["login"], "real_name": name,
                      "first_name": person.get("first_name", ""),
                      "last_name": person.get("last_name", ""), "sex": "female",
                      **({"default_email": email, "emails": [email]} if email else {}),
                      "psuid": "1.AAbbCC." + person["id"]})


@pytest.fixture
def yandex(app, httpserver):
    """Sign in with Yandex ID configured against the fake."""
    fake = FakeYandex(httpserver)
    app.config.update(YANDEX_CLIENT_ID=CLIENT_ID, YANDEX_CLIENT_SECRET=CLIENT_SECRET,
                      YANDEX_OAUTH_URL=fake.url, YANDEX_LOGIN_URL=fake.url)
    return fake
