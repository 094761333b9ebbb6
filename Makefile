# Ledgerline: two commands. `make run` sets everything up and serves; `make test` sets up and tests.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 where present (pyenv included), else 3.11+.
PYENV_ROOT ?= $(HOME)/.pyenv
PYTHON ?= $(shell for p in python3.12 $(PYENV_ROOT)/versions/3.12*/bin/python3.12 python3.11 \
	$(PYENV_ROOT)/versions/3.11*/bin/python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py

.PHONY: help run serve test lint format setup setup-dev requirements migrate seed bench soak e2e-deps clean

help:
	@echo "make run    - set up (venv, requirements, .env, migrate, demo data) and serve on http://127.0.0.1:8000"
	@echo "make test   - set up with dev requirements, then ruff, the import fence and the whole pytest suite"
	@echo "make serve  - migrate, collectstatic and serve as production does (manage.py serve: waitress)"
	@echo "make bench  - benchmarks (see bench/README.md);  make soak - long load and crash soak"

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11+ not found (looked for python3.12, python3.11, python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

.env:
	@$(PYTHON) -c "import secrets, pathlib; \
	src = pathlib.Path('.env.example').read_text(); \
	src = src.replace('SECRET_KEY=\n', 'SECRET_KEY=' + secrets.token_urlsafe(50) + '\n', 1); \
	src = src.replace('EVENT_LOG_KEY=\n', 'EVENT_LOG_KEY=' + secrets.token_urlsafe(32) + '\n', 1); \
	pathlib.Path('.env').write_text(src)"
	@echo "Created .env from .env.example with a fresh SECRET_KEY and EVENT_LOG_KEY"

setup: $(VENV)/.installed .env

setup-dev: $(VENV)/.installed-dev .env

migrate: setup
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) seed_demo

run: seed
	@echo "Serving on http://127.0.0.1:8000  (log in as acme.staff / demo-orders-2026)"
	$(MANAGE) runserver 127.0.0.1:8000

serve: migrate
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) serve

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Browser tests need Chromium: install it when we may (root, apt), otherwise the e2e tests
# skip with a visible reason.
e2e-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "WARNING: could not install chromium; browser tests will be skipped"; \
	  else echo "WARNING: /usr/bin/chromium missing and not root: browser tests will be skipped"; fi; \
	fi

test: setup-dev e2e-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run --settings=config.settings.test
	$(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/pytest

bench: setup-dev
	$(PY) -m bench.run $(BENCH_ARGS)

soak: setup-dev
	$(PY) -m bench.soak --duration 120
	$(PY) -m bench.soak --duration 120 --kill

requirements: | $(PY)
	$(PIP) install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements.in -o requirements.txt
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements-dev.in -o requirements-dev.txt

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
