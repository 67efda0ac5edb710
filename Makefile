# Two commands on a fresh machine:  `make chat` (talk to the bot)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: chat test lint bench install postgres clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

chat: $(STAMP)
	$(BIN)/claimbot chat

postgres:
	scripts/ensure-postgres.sh

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench

test: $(STAMP) postgres lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/faq.py

clean:
	rm -rf $(VENV) var .pytest_cache
