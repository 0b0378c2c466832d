# The portal's two commands: `make run` (the demo) and `make test` (lint and the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | md5sum | cut -c1-12)
export PORTAL_DEMO ?= 1

.PHONY: install run test lint pytest bench clean

$(STAMP): requirements.txt scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	@if [ "$${DIRECTORY:-}" = "samba" ]; then bash scripts/bootstrap.sh samba; fi
	$(BIN)/python scripts/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

pytest: install
	bash scripts/bootstrap.sh browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint pytest

bench: install
	bash scripts/bootstrap.sh bench
	@if [ "$${DIRECTORY:-}" = "samba" ]; then bash scripts/bootstrap.sh samba; fi
	$(BIN)/python bench/run.py

clean:
	rm -rf var/static var/portal.sqlite3 var/ldap var/samba var-mail
