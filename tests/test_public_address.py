"""The host of a link: in production a password-reset link never takes its host from
the request's Host header, which anybody can forge. Production refuses to start
without PUBLIC_URL or TRUSTED_HOSTS (config.py), and with either a forged Host cannot
reach a link."""
import re

import pytest

from config import load_config
from tutor.models import Message, User

PUBLIC = "https://tutor.example.org/"
FORGED = "evil.example"


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    for name in ("PUBLIC_URL", "TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TUTOR_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.setenv("LOG_FORMAT", "text")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


def test_production_refuses_to_start_without_an_address(production_env):
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        load_config()


@pytest.mark.parametrize("value", ["tutor.example.org", "ftp://tutor.example.org/", "https://",
                                   "javascript:alert(1)"])
def test_a_public_url_that_is_no_address_is_refused(production_env, value):
    production_env.setenv("PUBLIC_URL", value)
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        load_config()


def test_production_starts_with_either(production_env):
    production_env.setenv("PUBLIC_URL", PUBLIC)
    assert load_config()["PUBLIC_URL"] == PUBLIC
    production_env.delenv("PUBLIC_URL")
    production_env.setenv("TRUSTED_HOSTS", "tutor.example.org, www.tutor.example.org")
    assert load_config()["TRUSTED_HOSTS"] == ["tutor.example.org", "www.tutor.example.org"]


def test_development_needs_neither(monkeypatch, tmp_path):
    for name in ("PUBLIC_URL", "TRUSTED_HOSTS", "TUTOR_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    config = load_config()
    assert config["PUBLIC_URL"] == "" and config["TRUSTED_HOSTS"] is None


def reset_message(app):
    with app.app_context():
        return (Message.select().where(Message.kind == "password_reset")
                .order_by(Message.id.desc()).get().body_text)


def ask_for_a_link(app, host):
    client = app.test_client()
    page = client.get("/forgot", base_url=f"https://{host}")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    return client.post("/forgot", data={"identifier": "maria", "csrf_token": token},
                       base_url=f"https://{host}", headers={"Referer": f"https://{host}/forgot"})


@pytest.fixture
def maria(create_student):
    return create_student(login="maria", first_name="Мария", channel=User.EMAIL,
                          email="maria@example.org")


class TestWithPublicUrl:
    @pytest.fixture
    def test_config(self, test_config, production_env):
        production_env.setenv("PUBLIC_URL", PUBLIC)
        return test_config

    def test_the_reset_link_is_on_the_public_address_whatever_the_host(self, app, maria):
        assert app.config["ENV_NAME"] == "production"
        assert ask_for_a_link(app, FORGED).status_code == 302
        body = reset_message(app)
        assert re.search(r"https://tutor\.example\.org/reset/\S+", body), body
        assert FORGED not in body


class TestWithTrustedHosts:
    @pytest.fixture
    def test_config(self, test_config, production_env):
        production_env.setenv("TRUSTED_HOSTS", "tutor.example.org")
        return test_config

    def test_a_forged_host_is_refused_and_sends_nothing(self, app, maria):
        client = app.test_client()
        assert client.get("/forgot", base_url=f"https://{FORGED}").status_code == 400
        with app.app_context():
            assert not Message.select().where(Message.kind == "password_reset").exists()

    def test_the_trusted_host_gets_its_link(self, app, maria):
        assert ask_for_a_link(app, "tutor.example.org").status_code == 302
        assert "https://tutor.example.org/reset/" in reset_message(app)
