# The portal's two set-up commands are `make run` and `make test`; both install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

# pango for WeasyPrint, Noto CJK fonts for PDFs and pages, gettext for translations.
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext
# Debian's chromium and its driver for the browser tests (Playwright drives /usr/bin/chromium).
APT_TEST_PACKAGES := chromium chromium-driver

define apt_install
	@if command -v dpkg >/dev/null 2>&1; then \
	  missing=$$(for package in $(1); do dpkg -s $$package >/dev/null 2>&1 || echo $$package; done); \
	  if [ -n "$$missing" ]; then \
	    echo "Installing system packages:" $$missing; \
	    sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$sudo apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi; \
	else \
	  echo "dpkg not found: install $(1) with your system's package manager."; \
	fi
endef

.PHONY: help run test lint bench system test-system venv migrate demo

help:
	@echo "make run    install, migrate, load demo data, start the portal and its Celery worker"
	@echo "make test   install and run the whole test suite (PostgreSQL, Redis, chromium)"
	@echo "make lint   ruff check and format check"
	@echo "make bench  run the benchmarks in bench/ (PostgreSQL)"

system:
	$(call apt_install,$(APT_PACKAGES))

test-system:
	$(call apt_install,$(APT_TEST_PACKAGES))

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

run: system venv
	@mkdir -p var/broker var/broker-processed var/broker-control var/uploads
	DEBUG=$${DEBUG:-1} $(PY) manage.py ensure_database
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py load_demo
	@DEBUG=$${DEBUG:-1} $(PY) manage.py portal_info --url http://$(HOST):$(PORT)/
	@export DEBUG=$${DEBUG:-1}; \
	$(VENV)/bin/celery -A config worker --beat --loglevel=INFO --concurrency=1 \
	  --schedule=var/celerybeat-schedule > var/worker.log 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Celery worker with beat started (pid $$worker, log var/worker.log)."; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# The suite runs on two processes (pytest-xdist), each with its own test database.
TEST_WORKERS ?= 2

test: system test-system venv
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: venv
	$(PY) -m bench
