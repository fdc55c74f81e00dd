# MOU Assistant: `make run` serves a seeded demo on http://127.0.0.1:8000, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CHECKER := $(VENV)/.checker-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-fast lint format bench clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $(CHECKER)

# The install compiles the checker (setup.py); a checker source edited since is compiled again here.
$(CHECKER): $(wildcard app/checking/*.py)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(CHECKER)

install: $(STAMP) $(CHECKER)

run: $(STAMP)
	$(BIN)/mou db upgrade
	$(BIN)/mou demo --if-empty
	$(BIN)/mou serve --host $(HOST) --port $(PORT)

test: $(STAMP) $(CHECKER)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

test-fast: $(STAMP) $(CHECKER)
	$(BIN)/pytest -x -q -m "not slow and not browser"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/check_speed.py
	$(BIN)/python bench/queue.py
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts build *.so app/checking/*.so
