# careerguide developer commands. `make run` and `make test` need nothing but Python 3.11.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-browser run serve worker serve-prepare test test-browser audit observatory lint format clean

install: $(STAMP)

# Re-install only when the dependency pins change.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "careerguide needs Python 3.11; set PYTHON=python3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo
	@echo "  careerguide is running at http://$(HOST):$(PORT)/"
	@echo "  Editor login: $(PY) manage.py create_editor YOUR_NAME  (prints a one-time password),"
	@echo "  then sign in at http://$(HOST):$(PORT)/admin/"
	@echo "  Background jobs (click replay, link checks, …) run in a worker beside it: \"Background jobs\" in the admin."
	@echo
	@# The worker in the background, stopped with the server (Ctrl-C, or the server exiting). It does not reload
	@# on code changes as runserver does: restart `make run` after changing a job.
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(PY) manage.py qcluster & worker=$$!; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production settings on this machine: DEBUG off, hashed and compressed static files, gunicorn with the repo's
# config. Plain HTTP on loopback, so no SSL redirect and no HSTS unless the environment asks for them (as `make
# observatory` does, behind its TLS proxy). The secret key comes from the environment, else from var/secret_key,
# made once (var/ is git-ignored). DATABASE_URL, REDIS_URL and DJANGO_TRUSTED_PROXIES pass through.
SECRET_KEY_FILE := var/secret_key
SERVE_ENV = DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS="$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}" \
	DJANGO_SECURE_SSL_REDIRECT="$${DJANGO_SECURE_SSL_REDIRECT:-0}" DJANGO_HSTS_SECONDS="$${DJANGO_HSTS_SECONDS:-0}" \
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat $(SECRET_KEY_FILE))}"

# Two `make serve` at once (two ports, two terminals) would race: one collectstatic deletes and rewrites files the
# other is compressing, both migrate an empty database, both may write the secret key. So the preparation runs
# under one lock (flock, util-linux); the second waits, then finds everything done and each step is a no-op.
serve: install
	@mkdir -p var
	@flock var/serve.lock $(MAKE) --no-print-directory serve-prepare
	exec env $(SERVE_ENV) GUNICORN_BIND=$(HOST):$(PORT) $(VENV)/bin/gunicorn -c careerguide/gunicorn.conf.py careerguide.wsgi

# The background-job worker for `make serve` (same settings; run it in a second terminal, one or more per host).
worker: install
	exec env $(SERVE_ENV) $(PY) manage.py qcluster

serve-prepare:
	@test -n "$$DJANGO_SECRET_KEY" || test -s $(SECRET_KEY_FILE) || \
		(umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $(SECRET_KEY_FILE))
	$(SERVE_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(SERVE_ENV) $(PY) manage.py migrate --noinput
	$(SERVE_ENV) $(PY) manage.py load_demo

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Real-browser tests (tests/browser/): Playwright driving Debian's chromium (apt-get install chromium).
BROWSER_STAMP := $(VENV)/.browser-stamp
install-browser: install $(BROWSER_STAMP)

# The Nu HTML Checker (npm's vnu-jar, run with the machine's Java) checks every page type's markup.
VNU_VERSION := 26.9.27
TOOLS := var/tools
VNU_JAR := $(TOOLS)/node_modules/vnu-jar/build/dist/vnu.jar

$(BROWSER_STAMP): pyproject.toml
	$(PY) -m pip install --quiet -e '.[test,browser]'
	touch $(BROWSER_STAMP)

$(VNU_JAR):
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) vnu-jar@$(VNU_VERSION)

test-browser: install-browser $(VNU_JAR)
	VNU_JAR=$(VNU_JAR) $(PY) -m pytest -m browser tests/browser $(PYTEST_ARGS)

# Lighthouse 12 (npm) on the guide, the catalog, a course page and three career pages against `make serve`'s
# settings; prints and writes the four scores per page (var/lighthouse/). CHROME_PATH is Debian's chromium.
LIGHTHOUSE_VERSION := 12.2.3
LIGHTHOUSE := $(TOOLS)/node_modules/.bin/lighthouse

$(LIGHTHOUSE):
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) lighthouse@$(LIGHTHOUSE_VERSION)

audit: install $(LIGHTHOUSE)
	LIGHTHOUSE=$(LIGHTHOUSE) CHROME_PATH=/usr/bin/chromium $(PY) .ci/audit.py

# The MDN HTTP Observatory scanner (npm) on the guide and the admin sign-in, with `make serve`'s settings behind nginx
# terminating TLS on loopback, HSTS on and DJANGO_TRUSTED_PROXIES=127.0.0.1 (.ci/observatory.sh; needs nginx).
# Installed without its install scripts: they download the Chromium HSTS preload list and CA bundles, which only
# its hosted service uses; an empty preload list leaves the scan to the headers alone.
OBSERVATORY_VERSION := 1.4.8
OBSERVATORY := $(TOOLS)/node_modules/@mdn/mdn-http-observatory/src/scan.js

$(OBSERVATORY):
	npm install --silent --no-audit --no-fund --ignore-scripts --prefix $(TOOLS) @mdn/mdn-http-observatory@$(OBSERVATORY_VERSION)
	echo '{}' > $(TOOLS)/node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json

observatory: install $(OBSERVATORY)
	SCANNER=$(OBSERVATORY) .ci/observatory.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var *.egg-info
