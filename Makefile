# `make run` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 runs on Python 3.10 only: take python3.10 from PATH, or pyenv's.
PYTHON ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONPATH := $(CURDIR)

LEAN_MODEL := var/spacy/ja_ginza_lean/meta.json
MODEL := models/tcn-privacy-desk.tar.gz

.PHONY: help setup model migrate staff-user run run-production nginx test test-fast lint bench chromium clean validate evaluate publish inbox inbox-merge retention
help:
	@echo "make run    set up, train if needed, start the bot (chat page on http://localhost:8080/)"
	@echo "make test   set up, train if needed, run the whole test suite"
	@echo "make test-fast  the tests that need no trained model, PostgreSQL, Redis, browser or nginx (pytest.ini markers; TESTS=tests/test_x.py for one file)"
	@echo "make lint   static checks: ruff (lint, import order) and mypy over bot/, actions/, bench/, tests/ (pyproject.toml)"
	@echo "make run-production  PostgreSQL + Redis, 2 Rasa and 2 action servers behind nginx on http://localhost:8000/ (docs/production.md)"
	@echo "make migrate  bring the case database (CASES_DATABASE_URL, default var/cases.db) to the latest migration"
	@echo "make retention [RETENTION_ARGS=--dry-run]  delete what is past its retention period (docs/privacy.md)"
	@echo "make staff-user LOGIN=yamada ROLE=admin [NAME=山田太郎]  create a staff console account (asks for the password)"
	@echo "make bench  the whole bot measured: NLU, end to end under load, memory, training (writes bench/RESULTS.md)"
	@echo "make validate  check the training data (rasa data validate and bot/tools/checks.py)"
	@echo "make evaluate  train if needed, score the held-out set and the graded conversations, write reports/ (fails under the thresholds)"
	@echo "make publish   evaluate, then put the model live in a bot started with TCN_HOT_RELOAD=1"
	@echo "make inbox     export misunderstood messages (masked) to inbox/review.yml; make inbox-merge adds the labeled ones"
	@echo "make audit     known vulnerabilities of the pinned Python and npm packages (fails if the database is unreachable)"

$(BIN)/.installed: requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.10 is required (Rasa 3.6 supports nothing newer)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==24.2
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(LEAN_MODEL): $(BIN)/.installed bot/nlu/lean_ginza.py
	$(PY) -m bot.nlu.lean_ginza

setup: $(BIN)/.installed node_modules/.installed $(LEAN_MODEL)

# Rasa compares the fingerprint of data, config and domain with the model in
# models/ and trains only when something changed.
model: setup
	$(BIN)/rasa train --fixed-model-name tcn-privacy-desk --out models

# The case database (CASES_DATABASE_URL, default var/cases.db) at the latest
# migration; `make run` and the tests do this themselves.
migrate: setup
	$(PY) -m bot.cases.db

# A staff console account in the case database; the password is asked twice.
staff-user: $(BIN)/.installed
	@test -n "$(LOGIN)" || { echo "usage: make staff-user LOGIN=yamada ROLE=admin [NAME=山田太郎]"; exit 2; }
	$(PY) -m bot.console.cli create-user '$(LOGIN)' --role '$(or $(ROLE),staff)' $(if $(NAME),--name '$(NAME)')

run: model
	$(PY) -m bot.tools.run

# The production profile (docs/production.md): PostgreSQL and Redis must be running;
# TRACKER_DATABASE_URL, CASES_DATABASE_URL and LOCK_STORE_URL point elsewhere.
run-production: model nginx
	$(PY) -m bot.tools.production

# The load balancer of the production profile, from Debian's packages; the profile
# runs it in the foreground with a configuration of its own (deploy/nginx.conf.j2).
nginx:
	@test -x /usr/sbin/nginx || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }

# Browser tests drive Debian's chromium (Playwright cannot download its own here),
# with Japanese fonts so that screenshots show text, not empty boxes.
chromium:
	@{ command -v chromium && test -d /usr/share/fonts/opentype/noto; } >/dev/null || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; }

test: model chromium nginx
	$(PY) -m pytest

# The tier of tests that need nothing but the venv: no trained model, no PostgreSQL,
# Redis, chromium, nginx or root (the markers of pytest.ini, set by tests/tiers.py).
FAST := not (model or postgres or redis or browser or production)
test-fast: setup
	$(PY) -m pytest -m "$(FAST)" $(TESTS)

# Static checks, configured in pyproject.toml: ruff (pycodestyle, pyflakes, import order,
# bugbear) and mypy over bot/, actions/, bench/ and tests/. The tools and type stubs
# (requirements-dev.txt) go into the project's venv, where mypy sees the pinned packages
# the code imports; `-c requirements.txt` keeps every pin of the project as it is.
$(BIN)/.lint-installed: requirements-dev.txt requirements.txt $(BIN)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt -c requirements.txt
	touch $@

lint: $(BIN)/.lint-installed
	$(BIN)/ruff check bot actions bench tests
	$(BIN)/mypy

# Adding or changing an intent: docs/TRAINING.md. Rasa's data checks, then the
# project's (bot/tools/checks.py); each problem is printed as file:line and what to fix.
validate: setup
	$(BIN)/rasa data validate --fail-on-warnings
	$(PY) -m bot.tools.checks

# Scores the held-out set with the model (trained first if data changed) and
# writes reports/; fails under the accuracy and macro-F1 thresholds CI uses. Then
# plays the graded conversations (tests/answers/) against the bot started as
# `make run` starts it: reports/answers.md, per topic.
evaluate: model
	$(PY) -m bot.tools.evaluate
	$(PY) -m bot.tools.grade_answers

# Only an evaluated model goes live: copied to models/live/, which the model
# server of `TCN_HOT_RELOAD=1 make run` serves to the running Rasa server.
publish: evaluate
	$(PY) -m bot.tools.model_server publish

# The review inbox: messages the bot did not understand (masked) for labeling,
# then the labeled lines into data/nlu/ and tests/nlu_heldout/. For PostgreSQL:
# make inbox TRACKER_URL=postgresql://user@host/db INBOX_ARGS="--since 7"
TRACKER_URL ?= sqlite:///var/tracker.db
REVIEW ?= inbox/review.yml
inbox: setup
	$(PY) -m bot.tools.inbox export --tracker-url '$(TRACKER_URL)' --out $(REVIEW) $(INBOX_ARGS)

inbox-merge: setup
	$(PY) -m bot.tools.inbox merge $(REVIEW)

# Deletes conversations and the personal data of closed tickets past their retention
# period (docs/privacy.md, 保存期間); daily from cron or a systemd timer.
# RETENTION_ARGS=--dry-run counts only.
retention: $(BIN)/.installed
	$(PY) -m bot.tools.retention $(RETENTION_ARGS)

# The whole bot measured on this machine (bench/run.py): NLU lean against stock, end to
# end at 1/10/50 conversations on SQLite and PostgreSQL, long conversations, start-up,
# memory, where the time goes, training; also the production profile (PostgreSQL, Redis,
# nginx). Writes bench/RESULTS.md (about 25 minutes).
bench: model nginx
	$(PY) -m bench.run

clean:
	rm -rf models var node_modules $(VENV)

# Dependency audit (docs/privacy.md): every pin of requirements.txt against PyPI's
# advisory data with pip-audit, and the chat widget's npm packages with npm audit.
# pip-audit has a venv of its own (requirements-audit.txt says why). --strict: a package
# that could not be looked up fails the audit; without it, an unreachable advisory
# database reads "No known vulnerabilities found" and exits 0.
AUDIT_VENV := .venv-audit
$(AUDIT_VENV)/.installed: requirements-audit.txt
	@test -n "$(PYTHON)" || { echo "Python 3.10 is required"; exit 1; }
	test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet -r requirements-audit.txt
	touch $@

.PHONY: audit
audit: $(AUDIT_VENV)/.installed node_modules/.installed
	@status=0; \
	$(AUDIT_VENV)/bin/pip-audit --strict --no-deps --disable-pip --progress-spinner off \
		-r requirements.txt || status=1; \
	npm audit || status=1; \
	if [ $$status -ne 0 ]; then \
		echo "make audit: FAILED. Either a package has a known vulnerability (listed above), or an"; \
		echo "advisory database could not be reached and nothing was audited (docs/privacy.md)."; \
	fi; \
	exit $$status
