# Kneadful: `make run` starts the product, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test install install-dev system-deps lint format bench-api bench-reminders clean

run: install ## Start web + Celery worker + beat on the embedded default (SQLite, filesystem broker).
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_starter_content
	@echo "Demo accounts (local only):"
	@$(PY) manage.py create_demo_accounts
	@echo "Kneadful is starting on http://127.0.0.1:$(PORT)/ — emails land in var/mail/. Ctrl-C stops everything."
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PORT=$(PORT) $(VENV)/bin/honcho -f Procfile.dev start

test: system-deps install-dev ## Install what the tests need, then run them all.
	$(VENV)/bin/pytest

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
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
