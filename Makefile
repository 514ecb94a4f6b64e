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

.PHONY: help setup model migrate run test bench chromium clean
help:
	@echo "make run    set up, train if needed, start the bot (chat page on http://localhost:8080/)"
	@echo "make test   set up, train if needed, run the whole test suite"
	@echo "make migrate  bring the case database (CASES_DATABASE_URL, default var/cases.db) to the latest migration"
	@echo "make bench  NLU parse time of the lean and the stock GiNZA pipelines (writes bench/nlu_speed.md)"

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

run: model
	$(PY) -m bot.tools.run

# Browser tests drive Debian's chromium (Playwright cannot download its own here),
# with Japanese fonts so that screenshots show text, not empty boxes.
chromium:
	@{ command -v chromium && test -d /usr/share/fonts/opentype/noto; } >/dev/null || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; }

test: model chromium
	$(PY) -m pytest

# NLU parse time, lean against stock GiNZA pipeline, measured side by side.
bench: setup
	$(PY) -m bench.nlu_speed | tee bench/nlu_speed.md

clean:
	rm -rf models var node_modules $(VENV)
