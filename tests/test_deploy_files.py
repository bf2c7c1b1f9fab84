"""The example production setup in deploy/ and the Containerfile fit this app.

The compose file is never started here, and Grafana, Loki and Promtail cannot be
installed (no registry reachable here serves them): these tests parse every file and
hold it against the code (commands, paths, ports, metric and label names, settings).
tests/test_grafana_schema.py checks the dashboard against Grafana's published types,
tests/test_container.py builds and runs the Containerfile.
The real tools run them too: `nginx` serves the site config in front of a stand-in
app, `promtool` checks and unit-tests the alert rules and parses every dashboard
query, `systemd-analyze verify` reads the units. `make test` installs nginx and
promtool (make ops-tools); a missing tool fails those tests rather than skipping them
(NGINX= and PROMTOOL= name another binary). tests/test_deploy_live.py runs the app
behind them."""
import functools
import gzip
import http.client
import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.deploy import (
    DEPLOY,
    NGINX,
    NGINX_CONF,
    ROOT,
    SERVER_NAME,
    VENV_BIN,
    nginx_site,
    tool,
)
from tests.processes import free_port, listening, until

COMPOSE = DEPLOY / "compose.yaml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "tutor.json"

# Made by whoever deploys (deploy/README.md), never committed: the settings with their
# secrets, the secret files and the TLS certificate.
OPERATOR_FILES = {"tutor.env", "secrets/metrics_token", "secrets/grafana_admin_password",
                  "tls"}

YAML_FILES = sorted({*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")})
JSON_FILES = sorted(DEPLOY.rglob("*.json"))


def load_yaml(path):
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def compose():
    return load_yaml(COMPOSE)


def service(compose, name):
    return compose["services"][name]


def command_of(svc):
    command = svc.get("command")
    return shlex.split(command) if isinstance(command, str) else list(command or [])


def mounts(svc):
    """{container path: source} of the service's volumes (short syntax)."""
    found = {}
    for volume in svc.get("volumes", []):
        if volume.startswith("${"):  # a variable with a default: ${NAME:-/path}
            end = volume.index("}") + 1
            source, target = volume[:end], volume[end + 1:].split(":")[0]
        else:
            source, target = volume.split(":")[:2]
        found[target] = source
    return found


def host_path(source):
    """The file in deploy/ a bind mount's source names; None for a named volume, an
    absolute host path or a variable."""
    if source.startswith("."):
        return (DEPLOY / source).resolve()
    return None


def named_volume(source):
    return not source.startswith((".", "/", "$"))


def needs(binary, name, package):
    """A mark for tests that run `binary`: they fail, not skip, when it is missing."""
    @pytest.fixture
    def installed():
        if binary is None:
            pytest.fail(f"{name} is not installed: `make test` installs it "
                        f"(apt-get install {package})")
    fixture_name = f"{name.replace('-', '_')}_installed"
    globals()[fixture_name] = installed
    return pytest.mark.usefixtures(fixture_name)


# --- what the app exposes ------------------------------------------------------------

@functools.cache
def exposed_series():
    """{series name: label names} as the app's /metrics exposition shows them: an app
    on a scratch database answers one request and has one job record, so every
    family has samples."""
    from prometheus_client.parser import text_string_to_metric_families

    from tutor import create_app, metrics, migrate
    from tutor.extensions import db
    from tutor.models import JobState

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app({"TESTING": True, "SECRET_KEY": "deploy-files",
                          "DATABASE_URL": f"sqlite:///{scratch}/metrics.db",
                          "INSTANCE_PATH": scratch, "REDIS_URL": ""})
        with app.app_context():
            migrate.upgrade(db.database)
            JobState.create(job="backup", last_status="ok", last_success_at=datetime(2026, 1, 1))
        app.test_client().get("/healthz")
        with app.app_context():
            text = metrics.scrape().decode()
        db.database.close()
    series = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            series.setdefault(sample.name, set()).update(sample.labels)
    return series


def status_values():
    from tutor.models import Lesson, Message

    return {"tutor_lessons": set(Lesson.STATUSES),
            "tutor_outbox_messages": {Message.PENDING, Message.SENDING, Message.SENT,
                                      Message.FAILED, Message.HELD}}


TARGET_LABELS = {"job", "instance"}  # added by Prometheus to every scraped series


def check_promql(expr):
    """Every tutor_* series in `expr` exists, and every label it selects or groups by
    is one the series carries."""
    series = exposed_series()
    used = set(re.findall(r"\btutor_\w+", expr))
    assert used, expr
    unknown = used - set(series)
    assert not unknown, f"{expr}: the app exposes no {sorted(unknown)}"
    known_labels = set().union(*(series[name] for name in used)) | TARGET_LABELS
    for name, selector in re.findall(r"\b(tutor_\w+)\{([^}]*)\}", expr):
        for label, op, value in re.findall(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"', selector):
            assert label in series[name] | TARGET_LABELS, f"{expr}: {name} has no label {label}"
            if label == "status" and op == "=" and name in status_values():
                assert value in status_values()[name], f"{expr}: no {name} status {value}"
    for grouping in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        for label in filter(None, (part.strip() for part in grouping.split(","))):
            assert label in known_labels, f"{expr}: no series here has the label {label}"
    return used


def test_the_metric_names_are_read_from_the_app():
    series = exposed_series()
    assert {"tutor_http_requests_total", "tutor_http_request_duration_seconds_bucket",
            "tutor_lessons", "tutor_outbox_messages"} <= set(series)
    assert series["tutor_http_requests_total"] == {"endpoint", "method", "status"}


def test_the_probe_endpoints_are_the_ops_blueprint():
    """The alerts and the dashboard leave out endpoint=~"ops\\..*" (health probes)."""
    source = (ROOT / "tutor" / "views" / "ops.py").read_text()
    assert 'Blueprint("ops"' in source
    assert '@bp.get("/healthz")' in source and '@bp.get("/metrics")' in source


# --- every file parses -----------------------------------------------------------------

@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_parses(path):
    assert isinstance(load_yaml(path), dict)


@pytest.mark.parametrize("path", JSON_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_json_parses(path):
    assert isinstance(json.loads(path.read_text()), dict)


def test_the_expected_files_are_there():
    for name in ("compose.yaml", "env.example", "README.md", "gunicorn.conf.py",
                 "nginx/tutor.conf", "prometheus/prometheus.yml", "prometheus/alerts.yml",
                 "grafana/dashboards/tutor.json", "loki/loki.yaml", "promtail/promtail.yaml",
                 "systemd/tutor-web.service", "systemd/tutor-consumer.service",
                 "systemd/tutor-migrate.service"):
        assert (DEPLOY / name).is_file(), name
    assert list((DEPLOY / "grafana" / "provisioning" / "datasources").glob("*.yaml"))
    assert list((DEPLOY / "grafana" / "provisioning" / "dashboards").glob("*.yaml"))


# --- compose ---------------------------------------------------------------------------

def test_compose_has_every_service(compose):
    assert {"app", "consumer", "migrate", "db", "redis", "nginx", "prometheus", "grafana",
            "loki", "promtail"} <= set(compose["services"])


def test_the_tutor_services_are_built_from_the_containerfile(compose):
    for name in ("app", "consumer", "migrate"):
        build = service(compose, name)["build"]
        context = (DEPLOY / build["context"]).resolve()
        assert context == ROOT, name
        assert (context / build["dockerfile"]).is_file()
        assert service(compose, name)["image"] == service(compose, "app")["image"]


def test_compose_commands(compose):
    assert command_of(service(compose, "app")) == [
        "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
    assert command_of(service(compose, "consumer")) == [
        "huey_consumer", "tasks.huey", "-w", "4", "-k", "thread"]
    assert command_of(service(compose, "migrate")) == ["flask", "--app", "wsgi", "db", "upgrade",
                                                   "--wait", "120"]
    assert service(compose, "migrate")["restart"] == "no"


def test_every_consumer_may_schedule_and_they_elect_one(compose):
    consumers = [command_of(svc) for svc in compose["services"].values()
                 if command_of(svc)[:2] == ["huey_consumer", "tasks.huey"]]
    assert consumers and all("--no-periodic" not in c and "-n" not in c for c in consumers)
    # No advice left from when one consumer had to be told apart from the others.
    assert "--no-periodic" not in COMPOSE.read_text()
    assert "--scale consumer=2" in COMPOSE.read_text()
    # huey stops gracefully on SIGINT.
    assert service(compose, "consumer")["stop_signal"] == "SIGINT"


def test_the_commands_name_code_that_exists(compose):
    """wsgi:app, tasks.huey, deploy/gunicorn.conf.py: in the repository and in the image."""
    copied = image_files()
    for module, attribute in (("wsgi", "app"), ("tasks", "huey")):
        source = (ROOT / f"{module}.py").read_text()
        assert re.search(rf"^({attribute} = |from \S+ import .*\b{attribute}\b)", source,
                         re.M), (module, attribute)
        assert f"{module}.py" in copied
    assert (ROOT / "deploy" / "gunicorn.conf.py").is_file()
    assert "deploy/gunicorn.conf.py" in copied
    assert "db_group" in (ROOT / "tutor" / "cli.py").read_text()


def test_the_app_waits_for_migrations_and_healthy_services(compose):
    for name in ("app", "consumer"):
        depends = service(compose, name)["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
    assert service(compose, "migrate")["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("db", "redis", "app"):
        assert service(compose, name)["healthcheck"]["test"], name
    for name in ("consumer", "migrate", "static"):
        assert service(compose, name)["healthcheck"] == {"disable": True}, name


def test_compose_images_are_pinned(compose):
    for name, svc in compose["services"].items():
        if "build" in svc:
            continue
        image = svc["image"]
        assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), name
    assert service(compose, "db")["image"].endswith("postgres:15")
    assert service(compose, "redis")["image"].endswith("redis:7")


def test_every_bind_mount_exists(compose):
    for name, svc in compose["services"].items():
        for target, source in mounts(svc).items():
            path = host_path(source)
            if path is None:
                continue
            relative = path.relative_to(DEPLOY).as_posix()
            if relative in OPERATOR_FILES:
                continue
            assert path.exists(), f"{name}: {source} -> {target}"
    for name, svc in compose["services"].items():
        for env_file in ([svc["env_file"]] if isinstance(svc.get("env_file"), str)
                         else svc.get("env_file", [])):
            assert Path(env_file).name in OPERATOR_FILES, (name, env_file)
    for secret in compose["secrets"].values():
        assert Path(secret["file"]).as_posix() in OPERATOR_FILES
    for volume in {source for svc in compose["services"].values()
                   for source in mounts(svc).values() if named_volume(source)}:
        assert volume in compose["volumes"], volume


def test_the_config_files_on_command_lines_are_mounted(compose):
    for name in ("prometheus", "loki", "promtail"):
        svc = service(compose, name)
        configs = [arg.split("=", 1)[1] for arg in command_of(svc)
                   if re.match(r"-{1,2}config\.file=", arg)]
        assert configs, name
        for config in configs:
            source = mounts(svc).get(config)
            assert source and host_path(source).is_file(), f"{name}: {config} is not mounted"


def test_the_env_file_the_operator_writes_has_an_example(compose):
    assert service(compose, "app")["env_file"] == "./tutor.env"
    assert (DEPLOY / "env.example").is_file()
    for path in ("deploy/tutor.env", "deploy/secrets/metrics_token", "deploy/tls/privkey.pem"):
        ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT)
        assert ignored.returncode == 0, f"git would take {path}: deploy/.gitignore"


def test_promtail_leaves_out_the_migrate_service(compose):
    """The migrate service's log carries the first teacher's password."""
    promtail = load_yaml(DEPLOY / "promtail" / "promtail.yaml")
    job = promtail["scrape_configs"][0]
    keep = next(rule for rule in job["relabel_configs"] if rule.get("action") == "keep")
    assert keep["source_labels"] == [
        "__meta_docker_container_label_com_docker_compose_service"]
    kept = keep["regex"].split("|")
    assert set(kept) <= set(compose["services"])
    assert {"app", "consumer"} <= set(kept) and "migrate" not in kept
    assert f"com.docker.compose.project={compose['name']}" in \
        job["docker_sd_configs"][0]["filters"][0]["values"]


# --- the image -------------------------------------------------------------------------

def containerfile_instructions():
    text = (ROOT / "Containerfile").read_text()
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    text = re.sub(r"\\\n", " ", text)
    return [tuple(line.strip().split(None, 1)) for line in text.splitlines() if line.strip()]


def image_files():
    """Paths under WORKDIR the Containerfile copies (files, and directories with a /)."""
    copied = set()
    for instruction, arguments in containerfile_instructions():
        if instruction == "COPY":
            parts = [part for part in arguments.split() if not part.startswith("--")]
            *sources, destination = parts
            for source in sources:
                if destination.endswith("/"):
                    copied.add(f"{destination.removeprefix('./')}{Path(source).name}"
                               .removeprefix("/"))
                elif destination in (".", "./"):
                    copied.add(Path(source).name)
                else:
                    copied.add(destination.removeprefix("./"))
    return copied


def test_every_copy_source_exists():
    copies = [arguments for instruction, arguments in containerfile_instructions()
              if instruction == "COPY"]
    assert copies
    for arguments in copies:
        parts = [part for part in arguments.split() if not part.startswith("--")]
        assert not any(part.startswith("--from") for part in arguments.split())
        for source in parts[:-1]:
            assert (ROOT / source).exists(), source


def test_the_image_serves_with_the_repository_gunicorn_config():
    instructions = dict(containerfile_instructions())
    command = json.loads(instructions["CMD"])
    assert "gunicorn -c deploy/gunicorn.conf.py wsgi:app" in " ".join(command)
    assert "deploy/gunicorn.conf.py" in image_files()
    assert instructions["WORKDIR"] == "/app"
    assert re.search(r"\bPROMETHEUS_MULTIPROC_DIR=/tmp/\S+", instructions["ENV"])


def healthcheck_code(command):
    assert command[:2] == ["python", "-c"], command
    return command[2]


def test_the_healthchecks_really_check_healthz(compose):
    """The image's and compose's check succeed against a server answering /healthz and
    fail when nothing answers."""
    instructions = dict(containerfile_instructions())
    image_check = json.loads(instructions["HEALTHCHECK"].split(" CMD ", 1)[1])
    compose_check = service(compose, "app")["healthcheck"]["test"]
    assert compose_check[0] == "CMD"
    codes = [healthcheck_code(image_check), healthcheck_code(compose_check[1:])]

    class Healthz(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Healthz)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for code in codes:
            # The compose check has the port the app listens on written in.
            code = code.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
            run = subprocess.run([sys.executable, "-c", code], env={**os.environ,
                                 "PORT": str(port)}, capture_output=True, timeout=30)
            assert run.returncode == 0, run.stderr
    finally:
        server.shutdown()
        server.server_close()
    for code in codes:
        code = code.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        run = subprocess.run([sys.executable, "-c", code], env={**os.environ,
                             "PORT": str(port)}, capture_output=True, timeout=30)
        assert run.returncode != 0


def test_the_web_server_listens_where_everyone_looks():
    """gunicorn's default port is the one compose, nginx and Prometheus use."""
    assert "os.environ.get('PORT', '8000')" in (DEPLOY / "gunicorn.conf.py").read_text()
    assert "server app:8000;" in NGINX_CONF.read_text()


# --- the production settings -------------------------------------------------------------

def env_example():
    values = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def test_env_example_is_production_and_fits_compose(compose):
    env = env_example()
    assert env["TUTOR_ENV"] == "production"
    assert env["PROXY_COUNT"] == "1"
    assert env["LOG_FORMAT"] == "json"
    assert env["EMAIL_BACKEND"] == "mailgun"
    database = urlsplit(env["DATABASE_URL"])
    assert database.scheme == "postgresql" and database.hostname == "db"
    assert (database.username, database.password, database.path.lstrip("/")) == (
        env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"])
    assert urlsplit(env["REDIS_URL"]).hostname == "redis"
    assert {"db", "redis"} <= set(compose["services"])


def test_env_example_holds_no_secrets():
    env = env_example()
    for key in ("SECRET_KEY", "POSTGRES_PASSWORD", "METRICS_TOKEN", "MAILGUN_API_KEY"):
        assert env[key] == "change-me", key


def test_env_example_names_only_settings_something_reads():
    read = set(re.findall(r'_(?:str|int|bool)\("(\w+)"', (ROOT / "config.py").read_text()))
    read |= set(re.findall(r"""environ(?:\.get\(|\.setdefault\(|\[)\s*["'](\w+)""",
                           (DEPLOY / "gunicorn.conf.py").read_text()))
    assert {"WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "SECRET_KEY"} <= read
    read |= {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}  # the db container
    unknown = set(env_example()) - read
    assert not unknown, f"nothing reads {sorted(unknown)}"


def test_env_example_loads(monkeypatch):
    import config

    for key, value in env_example().items():
        monkeypatch.setenv(key, value)
    settings = config.load_config()
    assert settings["ENV_NAME"] == "production" and settings["PROXY_COUNT"] == 1
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["METRICS_TOKEN"] == "change-me"


# --- Prometheus --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def prometheus():
    return load_yaml(DEPLOY / "prometheus" / "prometheus.yml")


def alert_rules():
    return [rule for group in load_yaml(DEPLOY / "prometheus" / "alerts.yml")["groups"]
            for rule in group["rules"]]


def test_prometheus_scrapes_the_app(prometheus, compose):
    job = next(job for job in prometheus["scrape_configs"] if job["job_name"] == "tutor")
    assert job["metrics_path"] == "/metrics"
    (sd,) = job["dns_sd_configs"]
    assert sd["names"] == ["app"] and sd["port"] == 8000 and "app" in compose["services"]
    token_file = job["authorization"]["credentials_file"]
    assert job["authorization"]["type"] == "Bearer"
    assert token_file.startswith("/run/secrets/")
    assert Path(token_file).name in service(compose, "prometheus")["secrets"]
    assert Path(token_file).name in compose["secrets"]


def test_prometheus_finds_its_rules(prometheus, compose):
    mounted = mounts(service(compose, "prometheus"))
    for rule_file in prometheus["rule_files"]:
        assert host_path(mounted[rule_file]) == DEPLOY / "prometheus" / "alerts.yml"


def test_the_alerts(prometheus):
    rules = {rule["alert"]: rule for rule in alert_rules()}
    assert "tutor" in {job["job_name"] for job in prometheus["scrape_configs"]}
    assert 'up{job="tutor"} == 0' in rules["TutorAppDown"]["expr"]
    assert re.search(r'tutor_http_requests_total\{status=~"5\.\."', rules["TutorHighErrorRate"]["expr"])
    assert re.search(r'tutor_outbox_messages\{status="failed"\}\) > 0',
                     rules["TutorOutboxFailed"]["expr"])
    assert "histogram_quantile(0.99" in rules["TutorSlowRequests"]["expr"]
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        assert rule["annotations"]["summary"], name
        if name != "TutorAppDown":
            check_promql(rule["expr"])


# --- Grafana -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dashboard():
    return json.loads(DASHBOARD.read_text())


def datasources():
    (path,) = (DEPLOY / "grafana" / "provisioning" / "datasources").glob("*.yaml")
    return {source["uid"]: source for source in load_yaml(path)["datasources"]}


def test_the_datasources_point_at_the_compose_services(compose):
    for source in datasources().values():
        assert urlsplit(source["url"]).hostname in compose["services"], source
    assert {source["type"] for source in datasources().values()} == {"prometheus", "loki"}
    assert urlsplit(datasources()["tutor-loki"]["url"]).port == \
        load_yaml(DEPLOY / "loki" / "loki.yaml")["server"]["http_listen_port"]


def test_grafana_loads_the_dashboard_folder(compose):
    (path,) = (DEPLOY / "grafana" / "provisioning" / "dashboards").glob("*.yaml")
    (provider,) = load_yaml(path)["providers"]
    mounted = mounts(service(compose, "grafana"))
    assert host_path(mounted[provider["options"]["path"]]) == DASHBOARD.parent
    assert host_path(mounted["/etc/grafana/provisioning"]) == DEPLOY / "grafana" / "provisioning"


def test_the_dashboard_is_a_grafana_model(dashboard):
    assert dashboard["uid"] and dashboard["title"]
    assert isinstance(dashboard["schemaVersion"], int)
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    cells = set()
    for panel in dashboard["panels"]:
        position = panel["gridPos"]
        assert position["x"] >= 0 and position["x"] + position["w"] <= 24, panel["title"]
        mine = {(x, y) for x in range(position["x"], position["x"] + position["w"])
                for y in range(position["y"], position["y"] + position["h"])}
        assert not cells & mine, f"{panel['title']} overlaps another panel"
        cells |= mine
        assert panel["type"] in {"timeseries", "stat", "logs", "bargauge", "table"}
        source = datasources()[panel["datasource"]["uid"]]
        assert panel["datasource"]["type"] == source["type"]
        refs = [target["refId"] for target in panel["targets"]]
        assert refs and len(refs) == len(set(refs))
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]


def prometheus_queries(dashboard):
    return [target["expr"] for panel in dashboard["panels"] if panel["datasource"]["type"]
            == "prometheus" for target in panel["targets"]]


def test_the_dashboard_uses_only_what_the_app_exposes(dashboard):
    used = set()
    for expr in prometheus_queries(dashboard):
        if "tutor_" in expr:
            used |= check_promql(expr)
    assert {"tutor_http_requests_total", "tutor_http_request_duration_seconds_bucket",
            "tutor_lessons", "tutor_outbox_messages"} <= used


def test_the_dashboard_has_the_panels_asked_for(dashboard):
    queries = " ".join(prometheus_queries(dashboard))
    assert re.search(r"sum by \(endpoint, status\) \(rate\(tutor_http_requests_total\[", queries)
    for quantile in ("0.5", "0.99"):
        assert re.search(rf"histogram_quantile\({quantile}, sum by \(le\) \(rate\("
                         r"tutor_http_request_duration_seconds_bucket", queries), quantile
    assert "by (status) (tutor_lessons)" in queries
    assert "by (status) (tutor_outbox_messages)" in queries


def test_the_log_panel_uses_labels_promtail_sets(dashboard):
    promtail = load_yaml(DEPLOY / "promtail" / "promtail.yaml")
    job = promtail["scrape_configs"][0]
    labels = {rule["target_label"] for rule in job["relabel_configs"] if "target_label" in rule}
    stages = {name: body for stage in job["pipeline_stages"] for name, body in stage.items()}
    labels |= set(stages["labels"])
    for panel in dashboard["panels"]:
        if panel["datasource"]["type"] == "loki":
            for target in panel["targets"]:
                selector = re.match(r"\{([^}]*)\}", target["expr"])[1]
                for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", selector):
                    assert label in labels, label


# --- Loki and Promtail ---------------------------------------------------------------------

def test_promtail_parses_the_app_log_fields():
    """The fields tutor/logs.py writes are the ones the json stage extracts."""
    source = (ROOT / "tutor" / "logs.py").read_text()
    written = set(re.findall(r'"(\w+)"', re.search(r"FIELDS = \(([^)]*)\)", source)[1]))
    written |= {"time", "level", "logger", "message"}
    promtail = load_yaml(DEPLOY / "promtail" / "promtail.yaml")
    stages = {name: body for stage in promtail["scrape_configs"][0]["pipeline_stages"]
              for name, body in stage.items()}
    extracted = stages["json"]["expressions"]
    assert {"level", "request_id", "user_id", "path", "status"} <= set(extracted)
    assert set(extracted.values()) <= written
    assert set(stages["structured_metadata"]) == {"request_id", "user_id", "path", "status"}
    assert set(stages["labels"]) == {"level"}  # few values: one stream per level
    assert stages["timestamp"]["source"] == "time"
    assert promtail["clients"][0]["url"].startswith("http://loki:3100/")


def test_promtail_redacts_password_reset_tokens():
    promtail = load_yaml(DEPLOY / "promtail" / "promtail.yaml")
    (replace,) = [stage["replace"] for stage in promtail["scrape_configs"][0]["pipeline_stages"]
                  if "replace" in stage]
    line = json.dumps({"message": "GET /reset/abc.DEF-123 200", "path": "/reset/abc.DEF-123"})
    # Promtail's replace stage puts the value in place of each captured group.
    redacted = re.sub(replace["expression"],
                      lambda match: match[0].replace(match[1], replace["replace"]), line)
    assert "abc.DEF-123" not in redacted and redacted.count("[redacted]") == 2
    assert "@bp.route(\"/reset/<token>\"" in (ROOT / "tutor" / "views" / "auth.py").read_text()


def test_loki_keeps_structured_metadata_and_no_more_than_a_month():
    loki = load_yaml(DEPLOY / "loki" / "loki.yaml")
    assert loki["limits_config"]["allow_structured_metadata"] is True
    (period,) = loki["schema_config"]["configs"]
    assert period["store"] == "tsdb" and int(period["schema"].lstrip("v")) >= 13
    assert loki["compactor"]["retention_enabled"] is True
    assert int(loki["limits_config"]["retention_period"].removesuffix("h")) <= 31 * 24


# --- nginx -------------------------------------------------------------------------------

def nginx_locations():
    return dict(re.findall(r"location\s+([^{]+?)\s*\{([^}]*)\}", NGINX_CONF.read_text()))


def test_nginx_passes_the_headers_proxyfix_reads():
    proxy = nginx_locations()["/"]
    for header, value in (("Host", "$host"), ("X-Forwarded-For", "$remote_addr"),
                          ("X-Forwarded-Proto", "$scheme"), ("X-Forwarded-Host", "$host"),
                          ("X-Request-Id", "$request_id")):
        assert re.search(rf"proxy_set_header {header} \{value};", proxy), header
    assert "proxy_pass http://tutor_app;" in proxy
    assert env_example()["PROXY_COUNT"] == "1"


def test_nginx_denies_metrics_and_serves_static_files():
    locations = nginx_locations()
    assert locations["= /metrics"].split() == ["deny", "all;"]
    assert "alias /app/static/;" in locations["/static/"]
    assert "immutable" in locations["/static/vendor/"]
    text = NGINX_CONF.read_text()
    assert re.search(r"client_max_body_size \d+[km];", text)
    assert "gzip on;" in text
    assert "ssl_certificate " in text and "ssl_certificate_key " in text
    assert "return 301 https://$host$request_uri;" in text


def test_nginx_static_files_are_the_image_static_files(compose):
    """The static service copies the image's /app/static into the volume nginx mounts
    where tutor.conf's alias points."""
    instructions = containerfile_instructions()
    assert ("COPY", "static ./static") in instructions and ("WORKDIR", "/app") in instructions
    static = " ".join(command_of(service(compose, "static")))
    assert "cp -a /app/static/. /srv/static/" in static
    volume = mounts(service(compose, "static"))["/srv/static"]
    assert mounts(service(compose, "nginx"))["/app/static"] == volume
    assert host_path(mounts(service(compose, "nginx"))["/etc/nginx/conf.d/default.conf"]) \
        == NGINX_CONF


needs_nginx = needs(NGINX and shutil.which("openssl"), "nginx", "nginx openssl")


@pytest.fixture
def upstream():
    """A stand-in for the app: answers every request with what it received."""
    seen = []

    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            seen.append({"path": self.path, "headers": dict(self.headers)})
            # A page, long enough that gzip would compress it if it were on.
            body = json.dumps(dict(seen[-1], padding="x" * 4096)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


@needs_nginx
def test_nginx_accepts_the_site(tmp_path):
    check = subprocess.run(nginx_site(tmp_path, 8000) + ["-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


@pytest.fixture
def nginx(tmp_path, upstream):
    upstream_port, seen = upstream
    http_port, https_port = free_port(), free_port()
    process = subprocess.Popen(nginx_site(tmp_path, upstream_port, http_port, https_port)
                               + ["-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    until(lambda: listening(https_port), "nginx listening", timeout=15, every=0.05,
          process=process)
    yield {"http": http_port, "https": https_port, "seen": seen,
           "log": tmp_path / "access.log"}
    process.terminate()
    process.wait(timeout=15)


def request(port, path, *, tls=True, host=SERVER_NAME, method="GET", headers=None, body=None):
    """One request with the server name in SNI and Host (the certificate is ours)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        raw = context.wrap_socket(raw, server_hostname=host)
    with raw:
        connection = http.client.HTTPConnection("127.0.0.1")
        connection.sock = raw
        connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


@needs_nginx
def test_nginx_proxies_with_the_forwarded_headers(nginx):
    status, _, body = request(nginx["https"], "/lessons?week=2",
                              headers={"X-Forwarded-For": "203.0.113.9",
                                       "X-Forwarded-Host": "evil.example"})
    assert status == 200
    received = json.loads(body)
    assert received["path"] == "/lessons?week=2"
    headers = received["headers"]
    assert headers["X-Forwarded-For"] == "127.0.0.1"  # the client's own claim is dropped
    assert headers["X-Forwarded-Proto"] == "https"
    assert headers["X-Forwarded-Host"] == headers["Host"] == SERVER_NAME
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-Id"])


@needs_nginx
def test_nginx_keeps_metrics_inside(nginx):
    status, _, _ = request(nginx["https"], "/metrics", headers={"Authorization": "Bearer x"})
    assert status == 403
    assert nginx["seen"] == []


@needs_nginx
def test_nginx_serves_static_files_itself(nginx):
    status, headers, body = request(nginx["https"], "/static/css/tutor.css",
                                    headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == (ROOT / "static" / "css" / "tutor.css").read_bytes()
    assert headers["cache-control"] == "public, max-age=3600"
    assert headers["x-content-type-options"] == "nosniff"
    (vendored,) = (ROOT / "static" / "vendor").glob("htmx-*.min.js")
    status, headers, body = request(nginx["https"], f"/static/vendor/{vendored.name}")
    assert status == 200 and body == vendored.read_bytes()
    assert "immutable" in headers["cache-control"] and "max-age=31536000" in headers["cache-control"]
    assert nginx["seen"] == []


@needs_nginx
def test_nginx_answers_the_app_pages_uncompressed(nginx):
    """No gzip on the app's pages (BREACH)."""
    _, headers, _ = request(nginx["https"], "/", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in headers


@needs_nginx
def test_nginx_refuses_large_bodies(nginx):
    status, _, _ = request(nginx["https"], "/login", method="POST",
                           headers={"Content-Length": str(2 << 20)})
    assert status == 413
    assert nginx["seen"] == []


@needs_nginx
def test_nginx_redirects_http_to_https(nginx):
    status, headers, _ = request(nginx["http"], "/login?next=/x", tls=False)
    assert status == 301
    assert headers["location"] == f"https://{SERVER_NAME}/login?next=/x"


@needs_nginx
def test_nginx_refuses_other_host_names(nginx):
    """The app builds password-reset links from the host name; only ours gets through."""
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        request(nginx["http"], "/", tls=False, host="evil.example")
    with pytest.raises(ssl.SSLError):
        request(nginx["https"], "/", host="evil.example")
    # Our certificate's name in the handshake, another in Host.
    raw = socket.create_connection(("127.0.0.1", nginx["https"]), timeout=10)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with context.wrap_socket(raw, server_hostname=SERVER_NAME) as tls:
        tls.sendall(b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := tls.recv(4096):
            answer += chunk
    assert answer == b""  # the default server closed the connection (444)
    assert nginx["seen"] == []


@needs_nginx
def test_nginx_logs_json_with_the_request_id_and_no_reset_token(nginx):
    request(nginx["https"], "/reset/secret-token-123")
    forwarded = nginx["seen"][-1]["headers"]["X-Request-Id"]
    until(lambda: nginx["log"].exists() and nginx["log"].read_text().strip(),
          "nginx's access log written", timeout=5, every=0.05)
    lines = [json.loads(line) for line in nginx["log"].read_text().splitlines()]
    entry = next(line for line in lines if line["request_id"] == forwarded)
    assert entry["path"] == "/reset/[redacted]" and entry["status"] == 200
    assert entry["level"] == "info" and entry["time"]
    assert "secret-token-123" not in nginx["log"].read_text()


# --- promtool: the rules, their unit tests, every dashboard query ------------------------

PROMTOOL = tool("PROMTOOL", "promtool")
needs_promtool = needs(PROMTOOL, "promtool", "prometheus")


@needs_promtool
def test_promtool_accepts_the_rules_and_their_tests_pass():
    for arguments in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"]):
        run = subprocess.run([PROMTOOL, *arguments], cwd=DEPLOY / "prometheus",
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr


@needs_promtool
def test_promtool_accepts_the_config(tmp_path, prometheus):
    (tmp_path / "token").write_text("x\n")
    config = dict(prometheus, rule_files=[str(DEPLOY / "prometheus" / "alerts.yml")])
    config["scrape_configs"] = [
        dict(job, authorization=dict(job["authorization"], credentials_file=str(tmp_path / "token")))
        if "authorization" in job else job for job in prometheus["scrape_configs"]]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    run = subprocess.run([PROMTOOL, "check", "config", str(tmp_path / "prometheus.yml")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@needs_promtool
def test_promtool_parses_every_dashboard_query(tmp_path, dashboard):
    rules = [{"record": f"dashboard:query_{n}", "expr": expr.replace("$__rate_interval", "5m")}
             for n, expr in enumerate(prometheus_queries(dashboard))]
    (tmp_path / "queries.yml").write_text(yaml.safe_dump({"groups": [{"name": "dashboard",
                                                                      "rules": rules}]}))
    run = subprocess.run([PROMTOOL, "check", "rules", str(tmp_path / "queries.yml")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


# --- systemd -----------------------------------------------------------------------------

def unit(name):
    """[(section, key, value)] of a unit file (keys may repeat)."""
    entries, section = [], None
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, value = line.split("=", 1)
        entries.append((section, key, value))
    return entries


def values(name, key):
    return [value for _, k, value in unit(name) if k == key]


UNITS = ("tutor-web.service", "tutor-consumer.service", "tutor-migrate.service")


def test_the_units_run_the_repository_commands():
    (web,) = values("tutor-web.service", "ExecStart")
    assert web == "/opt/tutor/.venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app"
    (consumer,) = values("tutor-consumer.service", "ExecStart")
    assert consumer.startswith("/opt/tutor/.venv/bin/huey_consumer tasks.huey")
    assert "--no-periodic" not in consumer  # the same unit on every host: they elect one
    (migrate,) = values("tutor-migrate.service", "ExecStart")
    assert migrate == "/opt/tutor/.venv/bin/flask --app wsgi db upgrade"
    assert values("tutor-migrate.service", "Type") == ["oneshot"]
    for command in (web, consumer, migrate):
        program = Path(command.split()[0])
        assert (VENV_BIN / program.name).is_file(), f"no {program.name} in the virtualenv"


def test_the_web_server_migrates_first():
    for name in ("tutor-web.service", "tutor-consumer.service"):
        assert "tutor-migrate.service" in " ".join(values(name, "Requires"))
        assert "tutor-migrate.service" in " ".join(values(name, "After"))
    assert values("tutor-consumer.service", "KillSignal") == ["SIGINT"]


@pytest.mark.parametrize("name", UNITS)
def test_the_units_are_sandboxed(name):
    assert values(name, "User") == ["tutor"]
    assert values(name, "EnvironmentFile") == ["/etc/tutor/env"]
    assert values(name, "WorkingDirectory") == ["/opt/tutor"]
    assert values(name, "NoNewPrivileges") == ["yes"]
    assert values(name, "ProtectSystem") == ["strict"]
    instance = [item.split("=", 1)[1] for line in values(name, "Environment")
                for item in line.split() if item.startswith("INSTANCE_PATH=")]
    assert instance and instance[0] in values(name, "ReadWritePaths")
    if name != "tutor-migrate.service":
        assert values(name, "Restart") == ["on-failure"]


SYSTEMD_ANALYZE = tool("SYSTEMD_ANALYZE", "systemd-analyze")


@needs(SYSTEMD_ANALYZE, "systemd-analyze", "systemd")
def test_systemd_accepts_the_units():
    """Everything but the absent /opt/tutor (this machine is not the server)."""
    run = subprocess.run([SYSTEMD_ANALYZE, "verify",
                          *(str(DEPLOY / "systemd" / name) for name in UNITS)],
                         capture_output=True, text=True)
    complaints = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()
                  and not re.search(r"Command /opt/tutor/\.venv/bin/\w+ is not executable",
                                    line)]
    assert not complaints, "\n".join(complaints)
