"""Response headers that keep browsers strict: a CSP without inline script or eval
(htmx runs with allowEval false), no framing, no sniffing, HSTS behind HTTPS."""

METRIKA_HOSTS = "https://mc.yandex.ru https://mc.yandex.com"
TELEGRAM_HOST = "https://t.me"


def content_security_policy(config):
    metrika = bool(config.get("YANDEX_METRIKA_ID"))
    script = "'self'" + (f" {METRIKA_HOSTS}" if metrika else "")
    img = "'self' data:" + (f" {METRIKA_HOSTS}" if metrika else "")
    connect = "'self'" + (f" {METRIKA_HOSTS}" if metrika else "")
    # "Open the bot" is a form whose answer redirects to t.me (browsers hold the
    # redirect of a form to form-action too).
    telegram = bool(config.get("TELEGRAM_BOT_TOKEN") and config.get("TELEGRAM_BOT_NAME"))
    form = "'self'" + (f" {TELEGRAM_HOST}" if telegram else "")
    return "; ".join([
        "default-src 'self'",
        f"script-src {script}",
        "style-src 'self'",
        f"img-src {img}",
        f"connect-src {connect}",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action {form}",
        "frame-ancestors 'none'",
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
