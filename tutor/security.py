"""Response headers that keep browsers strict: a CSP without inline script or eval
(htmx runs with allowEval false), no framing, no sniffing, HSTS behind HTTPS."""

from urllib.parse import urlsplit

TELEGRAM_HOST = "https://t.me"
# "Continue with Telegram": Telegram's widget script, which opens its own window.
TELEGRAM_WIDGET = "https://telegram.org"
# What Yandex.Metrika's tag needs, as Yandex documents it: its script and the tag's
# own from yastatic.net, the pixel, the beacons and Webvisor's socket, and the
# frames it draws the click map in.
METRIKA = {
    "script-src": "https://mc.yandex.ru https://yastatic.net",
    "img-src": "https://mc.yandex.ru",
    "connect-src": "https://mc.yandex.ru wss://mc.yandex.ru",
    "frame-src": "blob: https://mc.yandex.ru",
}


def content_security_policy(config):
    metrika = METRIKA if config.get("YANDEX_METRIKA_ID") else {}

    def with_metrika(directive, sources):
        return " ".join([directive, sources, metrika.get(directive, "")]).rstrip()

    # "Open the bot" is a form whose answer redirects to t.me (browsers hold the
    # redirect of a form to form-action too).
    telegram = bool(config.get("TELEGRAM_BOT_TOKEN") and config.get("TELEGRAM_BOT_NAME"))
    form = "'self'" + (f" {TELEGRAM_HOST}" if telegram else "")
    # "Continue with Yandex ID" is a form whose answer redirects to Yandex's authorize page.
    if config.get("YANDEX_CLIENT_ID"):
        oauth = urlsplit(config.get("YANDEX_OAUTH_URL") or "https://oauth.yandex.ru")
        form += f" {oauth.scheme}://{oauth.netloc}"
    scripts = "'self'" + (f" {TELEGRAM_WIDGET}" if telegram else "")
    return "; ".join([
        "default-src 'self'",
        with_metrika("script-src", scripts),
        "style-src 'self'",
        with_metrika("img-src", "'self' data:"),
        with_metrika("connect-src", "'self'"),
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action {form}",
        "frame-ancestors 'none'",
        *([with_metrika("frame-src", "'self'")] if metrika else []),
    ])


def register(app):
    @app.after_request
    def secure_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(app.config))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security",
                               "max-age=31536000; includeSubDomains")
        return response
