import pytest

from config import load_config


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ["TUTOR_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DEFAULT_LOCALE",
                 "SESSION_COOKIE_SECURE", "RATELIMIT_STORAGE_URI", "PUBLIC_URL", "TRUSTED_HOSTS"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path / "instance"


def test_production_refuses_to_start_without_a_secret_key(clean_env, monkeypatch):
    monkeypatch.setenv("TUTOR_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config()


def test_production_cookies_are_secure(clean_env, monkeypatch):
    monkeypatch.setenv("TUTOR_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("PUBLIC_URL", "https://tutor.example.org/")
    config = load_config()
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"]


def test_development_keeps_one_generated_key(clean_env):
    first = load_config()["SECRET_KEY"]
    assert len(first) == 64
    assert load_config()["SECRET_KEY"] == first
    assert (clean_env / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_are_the_embedded_ones(clean_env):
    config = load_config()
    assert config["DATABASE_URL"] == f"sqlite:///{clean_env / 'tutor.db'}"
    assert config["BABEL_DEFAULT_LOCALE"] == "ru"
    assert config["TEACHER_TIMEZONE"] == "Europe/Moscow"
    assert config["RATELIMIT_STORAGE_URI"] == "database://"


def test_redis_url_moves_the_rate_limits_to_redis(clean_env, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert load_config()["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_every_setting_is_documented_in_env_example():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    read = set(re.findall(r'_(?:str|int|bool)\("([A-Z_]+)"', (root / "config.py").read_text()))
    read |= set(re.findall(r'environ\.get\("([A-Z_]+)"', (root / "tutor" / "queue.py").read_text()))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (root / ".env.example").read_text(), re.M))
    assert read - documented == set()
