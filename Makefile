# Two commands on a fresh machine:  `make chat` (talk to the bot)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: chat test lint bench bench-webhook install postgres clean

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

bench-webhook: $(STAMP) postgres
	$(BIN)/python bench/webhook.py --events 2000 --clients 16 --db sqlite
	$(BIN)/python bench/webhook.py --events 2000 --clients 16 --db postgresql

clean:
	rm -rf $(VENV) var .pytest_cache
