# Kneadful: `make run` starts the product, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Links in emails (confirmation, reminders, unsubscribe) point where `make run` serves,
# unless SITE_URL is set. Exported before honcho: it gives each process its own PORT.
SITE_URL ?= http://127.0.0.1:$(PORT)
# Extra pytest arguments, e.g. make test PYTEST_ARGS="-m 'not e2e' -x"
PYTEST_ARGS ?=

.PHONY: run test install install-dev system-deps lint format bench-members bench-reminders bench-campaign bench-mixed clean

run: install ## Start web + Celery worker + beat on the embedded default (SQLite, filesystem broker).
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_starter_content
	@echo "Demo accounts (local only):"
	@$(PY) manage.py create_demo_accounts
	@echo "Kneadful is starting on http://127.0.0.1:$(PORT)/ — emails land in var/mail/, their links go to $(SITE_URL)/. Ctrl-C stops everything."
	@# honcho answers Ctrl-C with exit code 130: that is the normal way to stop.
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PORT=$(PORT) SITE_URL="$(SITE_URL)" $(VENV)/bin/honcho -f Procfile.dev start || [ $$? -eq 130 ]

test: system-deps install-dev ## Install what the tests need, then run them all.
	$(VENV)/bin/pytest $(PYTEST_ARGS)

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "Kneadful needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "Point PYTHON at one, e.g. make run PYTHON=python3.12"; exit 1; }
	@echo "Creating the virtualenv $(VENV) with $$($(PYTHON) --version)"
	@$(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create a virtualenv. On Debian/Ubuntu: apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

system-deps: ## PostgreSQL, Redis and Chromium for the integration and browser tests.
	@scripts/install-system-deps.sh

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf var/broker var/mail var/celerybeat-schedule*

# Benchmarks (docs/benchmarks.md). Extra arguments in BENCH_ARGS, e.g.
# make bench-members BENCH_ARGS="--members 100 --rounds 1"
BENCH_ARGS ?=
bench-members: install-dev ## Members: dashboard, library, me/stats, POST sessions vs framework floors.
	$(PY) bench/members.py --json var/bench/members.json $(BENCH_ARGS)
bench-reminders: install-dev ## Reminders: 100,000 due in one minute vs the raw SMTP ceiling.
	$(PY) bench/reminders.py $(BENCH_ARGS)
bench-campaign: install-dev ## Campaigns: 100,000 subscribers vs the raw SMTP ceiling, then a SIGKILL run.
	$(PY) bench/campaign.py $(BENCH_ARGS)
bench-mixed: install-dev ## Mixed load: 200 members for 10 minutes while mail goes out, with chaos.
	$(PY) bench/mixed.py $(BENCH_ARGS)
