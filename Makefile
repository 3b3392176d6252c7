# Two commands for a newcomer: `make run` (the service on http://localhost:8000) and `make test`.
# Both create and reuse .venv; nothing needs AWS or Docker.
SHELL := /bin/bash
# The first interpreter that really runs (pyenv shims exist for versions that are not selected).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do $$p -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM := .tools/sam/bin/sam
# The IaC scanner, in its own venv: its pinned dependencies would clash with the project's.
# Pinned, so that a new release's new checks arrive by a deliberate bump, not a red CI.
CHECKOV_VERSION := 3.3.30
CHECKOV := .tools/checkov/bin/checkov
# `sam build` needs the Lambda runtime's python3.13 first on PATH: take pyenv's if there is one.
PY313_DIR := $(shell (pyenv prefix $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.13' | tail -n 1) 2>/dev/null || dirname "$$(command -v python3.13)") | head -n 1)/bin
export SAM_CLI_TELEMETRY := 0

.PHONY: run reset test lint typecheck imports unit integration scan sam-check bench invoke sam-env openapi chromium clean

$(STAMP): pyproject.toml clients/python/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e clients/python
	touch $@

$(SAM):
	python3 -m venv .tools/sam
	.tools/sam/bin/python -m pip install --quiet aws-sam-cli

$(CHECKOV):
	python3 -m venv .tools/checkov
	.tools/checkov/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)'

# Data lives in .local-data/ (git-ignored) and survives restarts; `make reset` starts empty.
LOCAL_DATA := .local-data
run: $(STAMP)
	$(BIN)/python -m local_stack --data-dir $(LOCAL_DATA)

reset:
	rm -rf $(LOCAL_DATA)

test: lint typecheck imports scan unit integration

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The layer rule (docs/layers.md), as the contracts in pyproject.toml's [tool.importlinter].
imports: $(STAMP)
	$(BIN)/lint-imports --no-cache --no-logo

# Any finding not fixed or skipped (with its reason) in template.yaml fails. --skip-download:
# no calls to Prisma Cloud, only the checks shipped in the package.
scan: $(CHECKOV)
	$(CHECKOV) --file template.yaml --framework cloudformation --compact --quiet --skip-download

# In-process layers (docs/testing.md): pure unit tests, component tests on moto, the local stack.
unit: $(STAMP)
	$(BIN)/pytest tests/unit tests/component tests/local_stack -n 2 -q

integration: $(STAMP)
	$(BIN)/pytest tests/integration -q

sam-check: $(SAM)
	$(SAM) validate --lint
	PATH="$(PY313_DIR):$$PATH" $(SAM) build --build-dir .aws-sam/build

# Regenerates functions/api_docs/openapi.json from the code (a unit test fails when stale).
openapi: $(STAMP)
	$(BIN)/python scripts/openapi.py

# Headless Chromium for the Swagger UI browser test (Debian packages; needs root).
chromium:
	scripts/install-chromium.sh

bench: $(STAMP)
	$(BIN)/python -m bench

# Runs one function once on the running local stack: make invoke FN=RegisterFunction EVENT=events/register.json
invoke: $(STAMP)
	$(BIN)/python -m local_stack.invoke $(FN) $(EVENT)

# Regenerates events/sam/env.local.json, `sam local invoke --env-vars` against `make run`
# (a unit test fails when stale).
sam-env: $(STAMP)
	$(BIN)/python -m local_stack.sam_env

clean:
	rm -rf $(VENV) .tools .aws-sam .pytest_cache .mypy_cache .ruff_cache
