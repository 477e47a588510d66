# Two commands for a newcomer: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

# torch==2.13.0 is pinned in pyproject.toml so pip takes the local CPU build in the
# same step as everything else (a separate step would pull a multi-GB CUDA build).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,ray,parquet]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/alliance serve --demo

lint: install
	$(BIN)/ruff check assistant tests bench

test: install lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/tagging.py
	$(BIN)/python bench/batch.py
	$(BIN)/python bench/service.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache var
