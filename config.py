"""Settings, all read from the environment (see .env.example for each one).

`load_config()` builds a plain dict for `app.config`; the app factory merges the
test overrides on top. Nothing here opens a connection.

`queue_config()` is the part of it that the huey instance needs (tutor/queue.py):
huey is made when tutor.queue is imported, before any app exists, because the tasks
are declared on it at import time. It reads its settings from here, the same function
that puts them into `app.config`, so the queue and the app never read the environment
two ways.
"""
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"


def _bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _str(name, default=""):
    return os.environ.get(name, "").strip() or default


def _dev_secret_key(instance):
    """A key kept in instance/ so development sessions survive restarts and every
    local process (web, consumer, CLI) signs with the same key."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        tmp = instance / f".secret_key.{os.getpid()}"
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # atomic: the first process to get here wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def _public_address(env):
    """(PUBLIC_URL, TRUSTED_HOSTS): the address links in messages are built on, and the
    Host headers Flask accepts (None: any). A link built from the request (a password
    reset) takes its host from the Host header, which a client chooses; so production
    needs one of the two, and refuses to start without."""
    public_url = _str("PUBLIC_URL")
    trusted_hosts = [host.strip() for host in _str("TRUSTED_HOSTS").split(",") if host.strip()]
    if public_url:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RuntimeError(f"PUBLIC_URL must be an http(s) address, e.g. "
                               f"https://tutor.example.org/, not {public_url!r}")
    elif env == "production" and not trusted_hosts:
        raise RuntimeError("PUBLIC_URL (or TRUSTED_HOSTS) must be set when TUTOR_ENV="
                           "production: links in messages would take their host from the "
                           "request's Host header, which anybody can forge")
    return public_url, trusted_hosts or None


def _instance():
    """Where the SQLite database, the huey queue file and the development key live."""
    return Path(_str("INSTANCE_PATH", str(INSTANCE)))


def queue_config():
    """The queue's settings: RedisHuey at REDIS_URL when it is set, else SqliteHuey
    in HUEY_SQLITE_PATH (instance/huey.db by default)."""
    return {
        "REDIS_URL": _str("REDIS_URL"),
        "HUEY_SQLITE_PATH": _str("HUEY_SQLITE_PATH", str(_instance() / "huey.db")),
    }


def load_config():
    env = _str("TUTOR_ENV", "development")
    instance = _instance()
    secret_key = _str("SECRET_KEY")
    if not secret_key:
        if env == "production":
            raise RuntimeError("SECRET_KEY must be set when TUTOR_ENV=production")
        secret_key = _dev_secret_key(instance)
    public_url, trusted_hosts = _public_address(env)

    return {
        "ENV_NAME": env,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret_key,
        "DATABASE_URL": _str("DATABASE_URL", f"sqlite:///{instance / 'tutor.db'}"),
        # PostgreSQL connections each process keeps (gunicorn worker or consumer): at
        # least its threads (GUNICORN_THREADS; the consumer's --workers). 0: a new
        # connection per request. PgBouncer in between: session mode (.env.example).
        "DATABASE_POOL_SIZE": _int("DATABASE_POOL_SIZE", 8),
        **queue_config(),  # REDIS_URL, HUEY_SQLITE_PATH
        "BABEL_DEFAULT_LOCALE": _str("DEFAULT_LOCALE", "ru"),
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": ("ru", "en"),
        "TEACHER_TIMEZONE": _str("TEACHER_TIMEZONE", "Europe/Moscow"),
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", env == "production"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", env == "production"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",  # Flask-Login sends none by default
        # An htmx page may stay open all day; the token lives as long as the session.
        "WTF_CSRF_TIME_LIMIT": None,
        # The largest request: the public page's photo (services/profiles.py takes up
        # to 5 MB) with its form; anything larger is refused before it is read (413).
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # Shared by every worker and host: Redis when there is one, else the database
        # (tutor/ratelimits.py). memory:// would count per worker process.
        "RATELIMIT_STORAGE_URI": _str("RATELIMIT_STORAGE_URI",
                                      _str("REDIS_URL", "database://")),
        # While that storage is down (Redis stopped), each process counts by itself
        # rather than failing every login; the shared count resumes when it is back.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": _bool("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED",
                                                      True),
        "LOGIN_RATE_LIMIT": _str("LOGIN_RATE_LIMIT", "10 per minute"),
        "LOGIN_ACCOUNT_RATE_LIMIT": _str("LOGIN_ACCOUNT_RATE_LIMIT", "20 per hour"),
        "REGISTER_RATE_LIMIT": _str("REGISTER_RATE_LIMIT", "20 per hour"),
        "RESET_RATE_LIMIT": _str("RESET_RATE_LIMIT", "5 per hour"),
        # Trial lesson requests from one address (services/trials.py: one per contact a day).
        "TRIAL_RATE_LIMIT": _str("TRIAL_RATE_LIMIT", "5 per hour"),
        "PASSWORD_MIN_SCORE": _int("PASSWORD_MIN_SCORE", 3),
        "DADATA_API_KEY": _str("DADATA_API_KEY"),
        "DADATA_URL": _str("DADATA_URL", "https://suggestions.dadata.ru"),
        "EMAIL_VERIFIER_TOKEN": _str("EMAIL_VERIFIER_TOKEN"),
        "EMAIL_VERIFIER_URL": _str("EMAIL_VERIFIER_URL", "https://verifier.meetchopra.com"),
        "LOG_LEVEL": _str("LOG_LEVEL", "INFO"),
        "LOG_FORMAT": _str("LOG_FORMAT"),
        "LOG_FILE": _str("LOG_FILE"),
        "PROXY_COUNT": _int("PROXY_COUNT", 0),
        "PUBLIC_URL": public_url,
        # Flask answers 400 to a request whose Host header is not one of these.
        "TRUSTED_HOSTS": trusted_hosts,
        "METRICS_TOKEN": _str("METRICS_TOKEN"),
        "METRICS_ALLOW": _str("METRICS_ALLOW", "127.0.0.1,::1"),
        "YANDEX_METRIKA_ID": _str("YANDEX_METRIKA_ID"),
        "EMAIL_BACKEND": _str("EMAIL_BACKEND", "console"),
        "EMAIL_FROM": _str("EMAIL_FROM", "Tutor <no-reply@localhost>"),
        "MAILGUN_DOMAIN": _str("MAILGUN_DOMAIN"),
        "MAILGUN_API_KEY": _str("MAILGUN_API_KEY"),
        "MAILGUN_URL": _str("MAILGUN_URL", "https://api.mailgun.net"),
        "MAILGUN_EVENTS_DELAY_SECONDS": _int("MAILGUN_EVENTS_DELAY_SECONDS", 1800),
        "SMTP_HOST": _str("SMTP_HOST", "localhost"),
        "SMTP_PORT": _int("SMTP_PORT", 587),
        "SMTP_USERNAME": _str("SMTP_USERNAME"),
        "SMTP_PASSWORD": _str("SMTP_PASSWORD"),
        "SMTP_SECURITY": _str("SMTP_SECURITY", "starttls"),
        "TELEGRAM_BOT_TOKEN": _str("TELEGRAM_BOT_TOKEN"),
        "TELEGRAM_BOT_NAME": _str("TELEGRAM_BOT_NAME"),
        "TELEGRAM_API_URL": _str("TELEGRAM_API_URL", "https://api.telegram.org"),
        "TELEGRAM_WEBHOOK_SECRET": _str("TELEGRAM_WEBHOOK_SECRET"),
        # Sign in with Yandex ID (services/signin.py): shown only with a client id.
        "YANDEX_CLIENT_ID": _str("YANDEX_CLIENT_ID"),
        "YANDEX_CLIENT_SECRET": _str("YANDEX_CLIENT_SECRET"),
        "YANDEX_OAUTH_URL": _str("YANDEX_OAUTH_URL", "https://oauth.yandex.ru"),
        "YANDEX_LOGIN_URL": _str("YANDEX_LOGIN_URL", "https://login.yandex.ru"),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 8),
        "OUTBOX_RETRY_SECONDS": _int("OUTBOX_RETRY_SECONDS", 60),
        "OUTBOX_LEASE_SECONDS": _int("OUTBOX_LEASE_SECONDS", 300),
        # While a provider refuses our configuration, one held message is tried this often.
        "PROVIDER_PROBE_SECONDS": _int("PROVIDER_PROBE_SECONDS", 300),
        "JOB_LEASE_MINUTES": _int("JOB_LEASE_MINUTES", 60),
        # The consumer scheduling the periodic jobs renews this every minute; when it
        # stops, another consumer takes over once it runs out (services/scheduler.py).
        "SCHEDULER_LEASE_SECONDS": _int("SCHEDULER_LEASE_SECONDS", 150),
        # Rendered calendar weeks kept per process (tutor/rendered.py); 0 keeps none.
        "WEEK_CACHE_ENTRIES": _int("WEEK_CACHE_ENTRIES", 512),
        # The teacher's other calendars (services/busy_import.py): how often each is
        # read, how long a read may take, and how big a calendar may be.
        "BUSY_CALENDAR_REFRESH_MINUTES": _int("BUSY_CALENDAR_REFRESH_MINUTES", 5),
        "BUSY_CALENDAR_CONNECT_TIMEOUT": _int("BUSY_CALENDAR_CONNECT_TIMEOUT", 5),
        "BUSY_CALENDAR_READ_TIMEOUT": _int("BUSY_CALENDAR_READ_TIMEOUT", 20),
        "BUSY_CALENDAR_MAX_BYTES": _int("BUSY_CALENDAR_MAX_BYTES", 10 * 1024 * 1024),
        # Addresses on this machine or a private network are refused (a calendar
        # address must not reach the server's neighbours); on for tests only.
        "BUSY_CALENDAR_ALLOW_PRIVATE": _bool("BUSY_CALENDAR_ALLOW_PRIVATE", False),
        "BACKUP_DIR": _str("BACKUP_DIR", str(instance / "backups")),
        "BACKUP_KEEP": _int("BACKUP_KEEP", 6),
        # Backups in an S3-compatible bucket instead of BACKUP_DIR (services/backup_store.py);
        # keys left empty: boto3's usual AWS_* variables, ~/.aws or an instance role.
        "BACKUP_S3_BUCKET": _str("BACKUP_S3_BUCKET"),
        "BACKUP_S3_PREFIX": _str("BACKUP_S3_PREFIX"),
        "BACKUP_S3_ENDPOINT_URL": _str("BACKUP_S3_ENDPOINT_URL"),
        "BACKUP_S3_REGION": _str("BACKUP_S3_REGION"),
        "BACKUP_S3_ACCESS_KEY_ID": _str("BACKUP_S3_ACCESS_KEY_ID"),
        "BACKUP_S3_SECRET_ACCESS_KEY": _str("BACKUP_S3_SECRET_ACCESS_KEY"),
        "ARGON2_TIME_COST": _int("ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_COST": _int("ARGON2_MEMORY_COST", 65536),
    }
