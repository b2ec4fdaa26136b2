# Thin wrappers. `make run` and `make test` are the README's two commands: each sets up
# what it needs on a fresh machine (a virtualenv from the lock file; Chromium for the
# browser tests) and is safe to run again.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test test-postgres fullstack lint format bench chromium clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.installed: $(BIN)/uv requirements-dev.lock
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements-dev.lock
	touch $@

install: $(VENV)/.installed

run: install
	DEBUG=$${DEBUG-1} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG-1} HINDSIGHT_BASE_URL=$${HINDSIGHT_BASE_URL-http://$(HOST):$(PORT)} \
	  $(BIN)/python manage.py seed_demo --if-empty
	DEBUG=$${DEBUG-1} HINDSIGHT_BASE_URL=$${HINDSIGHT_BASE_URL-http://$(HOST):$(PORT)} \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT)

chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install chromium
	$(BIN)/python -m pytest -m "not celery_worker" --cov --cov-report=term $(PYTEST_ARGS)

# The same suite against PostgreSQL and Redis with a real Celery worker (see .ci/run).
test-postgres: install chromium
	bash .ci/postgres-pass

# gunicorn, a Celery worker and beat against PostgreSQL and a Redis of their own,
# driven over HTTP, with Redis stopped and started in the middle (see .ci/run).
fullstack: install
	bash .ci/fullstack

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	@echo "Each benchmark needs its own data and database; see bench/README.md."
	@ls bench/*.py

clean:
	rm -rf $(VENV) var/hindsight.sqlite3* .pytest_cache .coverage
