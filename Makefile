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
# The compiled translations (see gettext-deps below).
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help run serve test test-postgres lint format setup setup-dev setup-postgres requirements migrate seed bench bench-both soak e2e-deps gettext-deps messages clean

help:
	@echo "make run    - set up (venv, requirements, .env, migrate, demo data), serve on http://127.0.0.1:8000 and run the worker"
	@echo "make test   - set up with dev requirements, then ruff, the import fence and the whole pytest suite"
	@echo "make test-postgres - the whole suite again on a throwaway local PostgreSQL server"
	@echo "make serve  - migrate, collectstatic and serve as production does (manage.py serve: waitress)"
	@echo "make bench  - benchmarks beside the eventsourcing peer and the bare driver, gated on realistic load (bench/README.md)"
	@echo "make bench-both - the benchmark on SQLite and on a throwaway PostgreSQL, side by side"
	@echo "make soak   - long load and crash soak"
	@echo "make messages - collect the marked strings into locale/de/LC_MESSAGES/*.po (docs/i18n.md)"

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

# The PostgreSQL driver: optional, for installs with DATABASE_URL=postgres://…
$(VENV)/.installed-postgres: requirements-postgres.txt | $(PY)
	$(PIP) install --quiet -r requirements-postgres.txt
	@touch $@

setup-postgres: $(VENV)/.installed-postgres

.env:
	@$(PYTHON) -c "import secrets, pathlib; \
	src = pathlib.Path('.env.example').read_text(); \
	src = src.replace('SECRET_KEY=\n', 'SECRET_KEY=' + secrets.token_urlsafe(50) + '\n', 1); \
	src = src.replace('EVENT_LOG_KEY=\n', 'EVENT_LOG_KEY=' + secrets.token_urlsafe(32) + '\n', 1); \
	pathlib.Path('.env').write_text(src)"
	@echo "Created .env from .env.example with a fresh SECRET_KEY and EVENT_LOG_KEY"

setup: $(VENV)/.installed .env $(MO_FILES)

setup-dev: $(VENV)/.installed-dev .env $(MO_FILES)

# Translations (docs/i18n.md): the .po files are committed, the .mo files they compile to are
# built here (MO_FILES, above). compilemessages needs GNU gettext's msgfmt: installed when we may (root, apt), as
# Chromium is for the browser tests.

gettext-deps:
	@if ! command -v msgfmt >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing gettext for the translations"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	  else echo "msgfmt (GNU gettext) is missing: install the 'gettext' package"; exit 1; fi; \
	fi

$(MO_FILES): %.mo: %.po | gettext-deps $(VENV)/.installed .env
	$(MANAGE) compilemessages --ignore=.venv --verbosity 0

# For developers, after marking new strings: collect them into the German catalogues (fuzzy
# and new entries then need a German msgstr; tests/common/test_translations.py says which).
messages: setup-dev gettext-deps
	$(MANAGE) makemessages --locale de --ignore=.venv --ignore=staticfiles --ignore=bench \
	  --ignore=tests --add-location file --no-obsolete
	@if ls static/js/*.js >/dev/null 2>&1; then \
	  $(MANAGE) makemessages --domain djangojs --locale de --ignore=.venv --ignore=staticfiles \
	    --ignore=static/vendor --add-location file --no-obsolete; fi

migrate: setup
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) seed_demo

# The web server and the worker (Procfile, honcho): Ctrl-C stops both. Mails go to the
# console (dev settings) unless EMAIL_BACKEND/EMAIL_HOST in .env say otherwise.
run: seed
	@echo "Serving on http://127.0.0.1:8000  (log in as acme.staff / demo-orders-2026)"
	$(VENV)/bin/honcho start -f Procfile

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

# The same suite on PostgreSQL: .ci/with-postgres installs the server when it may (root, apt),
# starts a throwaway cluster in a temporary folder, runs pytest against it, stops and removes it.
test-postgres: setup-dev setup-postgres e2e-deps
	.ci/with-postgres $(VENV)/bin/pytest

# Exit code 3 when the realistic-load gate is missed, 1 when a section fails.
# DATABASE_URL=postgres://…: the same benchmark in a database <name>_bench made on that server.
bench: setup-dev $(if $(DATABASE_URL),setup-postgres)
	$(PY) -m bench.run $(if $(DATABASE_URL),--database-url '$(DATABASE_URL)') $(BENCH_ARGS)

# SQLite, then PostgreSQL on a throwaway local server (.ci/with-postgres, fsync on as deployed),
# each printing its tables. Exit code: the worse of the two runs.
bench-both: setup-dev setup-postgres
	status=0; \
	$(PY) -m bench.run $(BENCH_ARGS) || status=$$?; \
	PG_SERVER_OPTIONS="-c fsync=on -c full_page_writes=on -c shared_buffers=256MB" \
	  .ci/with-postgres sh -c '$(PY) -m bench.run --database-url "$$DATABASE_URL" $(BENCH_ARGS)' \
	  || { s=$$?; [ $$s -gt $$status ] && status=$$s; }; \
	exit $$status

soak: setup-dev
	$(PY) -m bench.soak --duration 120
	$(PY) -m bench.soak --duration 120 --kill

requirements: | $(PY)
	$(PIP) install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements.in -o requirements.txt
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements-dev.in -o requirements-dev.txt
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements-postgres.in -o requirements-postgres.txt

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
