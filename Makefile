# Two commands for a fresh machine (see README):
#   make run    install, create the SQLite database, load demo data, start the portal
#   make test   install what the tests need (incl. Chromium and axe-core) and run the whole suite
#   make lint   ruff, mypy, and no function above complexity 20 (radon rank D or worse)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run install install-test demo lint test test-postgres bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	bash scripts/install-browser-deps.sh

demo: install
	$(BIN)/portal db upgrade
	$(BIN)/portal demo
	$(BIN)/portal search rebuild

run: demo
	$(BIN)/portal run --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	@complex="$$($(BIN)/radon cc -n D -s -e "portal/migrations/*" portal intake search)"; \
	if [ -n "$$complex" ]; then echo "$$complex"; exit 1; fi

test: install-test
	$(BIN)/pytest

test-postgres: install-test
	PORTAL_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(BIN)/pytest

clean:
	rm -rf $(VENV) instance
