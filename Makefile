# Haishin: one Makefile drives install, the local system, checks, tests, benchmarks and deploys.
# The README documents two commands: `make dev` (run everything locally) and `make test` (what CI runs).
#
# Installs are idempotent: stamp files in .local/stamps/ are named after a hash of what they depend on
# (pyproject.toml, the admin's package files...), so a second `make install` does nothing and costs ~1 s.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --no-print-directory
.DELETE_ON_ERROR:

PYTHON311 ?= python3.11
VENV      := .venv
PY        := $(VENV)/bin/python
SAM_VENV  := .venv-sam
# aws-sam-cli pins an older boto3 than ours: it lives in its own virtualenv.
SAM_CLI_VERSION ?= 1.170.0
SAM       := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
# checkov (the policy scanner) pins an exact, older boto3 (and networkx<2.7, packaging<24): its own virtualenv too.
CHECKOV_VENV    := .venv-checkov
CHECKOV_VERSION ?= 3.3.30
CHECKOV   := $(CHECKOV_VENV)/bin/checkov --framework cloudformation --quiet --compact --skip-download
REGION    ?= us-east-1
STAMPS    := .local/stamps
REPORTS   := .local/reports
DYNAMODB_LOCAL := .local/dynamodb-local/.installed
# Unit tests run on pytest-xdist workers (set UNIT_WORKERS=0 to run in one process).
UNIT_WORKERS ?= 2
PYTEST_STAGE := scripts/pytest-stage.sh

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export SAM_CLI_TELEMETRY := 0

hash_files = $(shell cat $(1) 2>/dev/null | sha256sum | cut -c1-12)

PY_HASH  := $(call hash_files,pyproject.toml $(wildcard requirements*.lock))
SAM_HASH := $(shell echo "$(SAM_CLI_VERSION)" | sha256sum | cut -c1-12)
CHECKOV_HASH := $(shell echo "$(CHECKOV_VERSION)" | sha256sum | cut -c1-12)
PY_STAMP  := $(STAMPS)/venv-$(PY_HASH)
SAM_STAMP := $(STAMPS)/venv-sam-$(SAM_HASH)
CHECKOV_STAMP := $(STAMPS)/checkov-$(CHECKOV_HASH)

# A stamp without its virtualenv (deleted by hand, fresh clone with an old .local) means nothing.
ifeq ($(wildcard $(PY)),)
$(shell rm -f $(STAMPS)/venv-[0-9a-f]*)
endif
ifeq ($(wildcard $(SAM_VENV)/bin/sam),)
$(shell rm -f $(STAMPS)/venv-sam-*)
endif
ifeq ($(wildcard $(CHECKOV_VENV)/bin/checkov),)
$(shell rm -f $(STAMPS)/checkov-*)
endif

HAS_ADMIN := $(wildcard admin/package.json)
ifneq ($(HAS_ADMIN),)
ADMIN_DEPS_HASH := $(call hash_files,admin/package.json $(wildcard admin/package-lock.json))
ADMIN_SRC_HASH  := $(shell find admin -path admin/node_modules -prune -o -path admin/dist -prune -o -type f -print \
                     | LC_ALL=C sort | xargs -r sha256sum | sha256sum | cut -c1-12)
ADMIN_DEPS_STAMP  := $(STAMPS)/admin-deps-$(ADMIN_DEPS_HASH)
ADMIN_BUILD_STAMP := $(STAMPS)/admin-build-$(ADMIN_SRC_HASH)
ifeq ($(wildcard admin/node_modules),)
$(shell rm -f $(STAMPS)/admin-deps-*)
endif
ifeq ($(wildcard admin/dist),)
$(shell rm -f $(STAMPS)/admin-build-*)
endif
# the LIFF pages' script is built with the admin into the domain layer (haishin/pages/static, git-ignored)
ifeq ($(wildcard layers/haishin/haishin/pages/static/liff.js),)
$(shell rm -f $(STAMPS)/admin-build-*)
endif
endif

.PHONY: api-coverage help install check-tools venv sam-venv checkov-venv admin dynamodb-local test-deps \
        dev test lint format typecheck validate build unit admin-test integration e2e bench deploy clean distclean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# ---------------------------------------------------------------- install

install: check-tools venv sam-venv checkov-venv admin dynamodb-local ## create .venv, .venv-sam, .venv-checkov, build the admin, fetch DynamoDB Local (idempotent)

check-tools: ## one clear line for each missing tool
	@scripts/check-tools.sh python java npm

venv: $(PY_STAMP)
$(PY_STAMP):
	@echo "==> $(VENV): pip install -e '.[dev]' (pyproject.toml changed or first run)"
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then \
	   rm -rf $(VENV); $(PYTHON311) -m venv $(VENV); fi
	$(PY) -m pip install -q -e '.[dev]' 2>&1 | sed '/is ignored: it is neither a file nor a directory/d'
	@mkdir -p $(STAMPS) && rm -f $(STAMPS)/venv-[0-9a-f]* && touch $@

sam-venv: $(SAM_STAMP)
$(SAM_STAMP):
	@echo "==> $(SAM_VENV): aws-sam-cli==$(SAM_CLI_VERSION)"
	@if [ ! -x $(SAM_VENV)/bin/python ]; then $(PYTHON311) -m venv $(SAM_VENV); fi
	$(SAM_VENV)/bin/python -m pip install -q 'aws-sam-cli==$(SAM_CLI_VERSION)' 2>&1 | sed '/is ignored: it is neither a file nor a directory/d'
	@mkdir -p $(STAMPS) && rm -f $(STAMPS)/venv-sam-* && touch $@

checkov-venv: $(CHECKOV_STAMP)
$(CHECKOV_STAMP):
	@echo "==> $(CHECKOV_VENV): checkov==$(CHECKOV_VERSION)"
	@if [ ! -x $(CHECKOV_VENV)/bin/python ]; then $(PYTHON311) -m venv $(CHECKOV_VENV); fi
	$(CHECKOV_VENV)/bin/python -m pip install -q 'checkov==$(CHECKOV_VERSION)' 2>&1 | sed '/is ignored: it is neither a file nor a directory/d'
	@mkdir -p $(STAMPS) && rm -f $(STAMPS)/checkov-* && touch $@

ifneq ($(HAS_ADMIN),)
admin: $(ADMIN_BUILD_STAMP) ## install the admin's npm packages and build it (admin/dist)
$(ADMIN_DEPS_STAMP):
	@echo "==> admin/: npm packages"
	@if [ -f admin/package-lock.json ]; then cd admin && npm ci --no-audit --no-fund; \
	 else cd admin && npm install --no-audit --no-fund; fi
	@mkdir -p $(STAMPS) && rm -f $(STAMPS)/admin-deps-* && touch $@
$(ADMIN_BUILD_STAMP): $(ADMIN_DEPS_STAMP)
	@echo "==> admin/: npm run build"
	cd admin && npm run build
	@mkdir -p $(STAMPS) && rm -f $(STAMPS)/admin-build-* && touch $@
else
admin:
	@echo "==> admin/: no package.json yet, nothing to build"
endif

dynamodb-local: $(DYNAMODB_LOCAL)
$(DYNAMODB_LOCAL): | $(PY_STAMP)
	@scripts/check-tools.sh haishin_local
	$(PY) -m haishin_local install-dynamodb

test-deps: ## Chromium and Japanese fonts for the browser tests (apt-get, as root)
	@scripts/install-test-deps.sh

# ---------------------------------------------------------------- run

dev: install ## run the whole system locally (API, emulators, DynamoDB Local, moto, admin)
	$(PY) -m haishin_local up

# ---------------------------------------------------------------- checks and tests

# What CI runs (.ci/run): every check, the build, then every test suite, in this order.
test: install test-deps ## everything CI checks: lint, types, template, build, unit, admin, integration, e2e
	@rm -rf $(REPORTS) && mkdir -p $(REPORTS)
	@for step in lint typecheck validate build unit admin-test integration e2e; do \
	   start=$$(date +%s); echo "==> make $$step"; \
	   $(MAKE) $$step || { echo "make test: '$$step' failed after $$(( $$(date +%s) - start ))s"; exit 1; }; \
	   echo "<== $$step: $$(( $$(date +%s) - start ))s"; \
	 done
	@$(PY) scripts/test-summary.py $(REPORTS)

lint: venv ## ruff check, the layering contract (.importlinter) and the import checks (no package loops)
	$(VENV)/bin/ruff check .
	PYTHONPATH=layers/haishin$${PYTHONPATH:+:$$PYTHONPATH} $(VENV)/bin/lint-imports --no-cache
	$(PY) scripts/check_imports.py

api-coverage: venv ## each admin API operation and the admin screens that call it (docs/production/api-coverage.md)
	PYTHONPATH=layers/haishin$${PYTHONPATH:+:$$PYTHONPATH} $(PY) scripts/api_coverage.py

format: venv ## apply ruff format to the whole tree
	$(VENV)/bin/ruff format .

# functions/*/app.py all share the module name `app`: with explicit_package_bases and these bases, they are
# checked as functions.<name>.app, and the layer/infra packages under their import names.
typecheck: venv ## mypy on the domain package, the local system and every handler
	MYPYPATH=layers/haishin:infra $(VENV)/bin/mypy layers/haishin/haishin infra/haishin_local functions

# checkov reads template.yaml (it knows SAM functions) and, expanded offline by the SAM translator, what a deploy
# creates (roles, the API stage, event source mappings). A failed check is fixed, or skipped in place with a reason
# (`Metadata: checkov: skip:` on the resource; scripts/sam-transform.py carries a SAM resource's skips over).
validate: venv sam-venv checkov-venv ## cfn-lint, sam validate --lint, and the checkov policy scan on template.yaml
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --region $(REGION)
	$(SAM_VENV)/bin/python scripts/sam-transform.py template.yaml .local/template.transformed.json
	$(CHECKOV) -f template.yaml
	$(CHECKOV) -f .local/template.transformed.json

build: sam-venv admin ## sam build (arm64 layers from PyPI wheels, no container; the admin build makes the LIFF script)
	$(SAM) build --cached --parallel

unit: venv ## in-process unit tests (moto, no sockets)
	@$(PYTEST_STAGE) unit tests/unit $(if $(filter 0,$(UNIT_WORKERS)),,-n $(UNIT_WORKERS))

integration: install ## against the local system (DynamoDB Local, moto server, emulators)
	@$(PYTEST_STAGE) integration tests/integration -m integration

e2e: install test-deps ## the admin in headless Chromium against the local system
	@$(PYTEST_STAGE) e2e tests/e2e

admin-test: admin ## the admin's component tests (vitest)
ifneq ($(HAS_ADMIN),)
	cd admin && npm test
else
	@echo "admin-test: no admin/package.json yet"
endif

bench: venv ## benchmarks: print figures, never assert
	$(PY) tests/bench/run_all.py

# ---------------------------------------------------------------- deploy and clean

deploy: sam-venv admin ## sam build && sam deploy --guided (defaults in samconfig.toml)
	$(SAM) build --cached --parallel
	$(SAM) deploy --guided

clean: ## remove build outputs, caches and stamps (keeps the virtualenvs and DynamoDB Local)
	rm -rf .aws-sam $(STAMPS) $(REPORTS) .mypy_cache .ruff_cache .pytest_cache admin/dist test-artifacts
	find . -path ./.venv -prune -o -path ./.venv-sam -prune -o -path ./$(CHECKOV_VENV) -prune -o -path ./admin/node_modules -prune -o \
	  -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## also remove the virtualenvs, admin/node_modules and .local
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) admin/node_modules .local
