# Quarterdeck: `make run` opens the console on the offline demo, `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck contracts unit bench fuzz clean snapshot-update conformance

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The offline demo in the console: approve its "ask"s with `a`, quit with ctrl+q.
run: $(STAMP)
	$(BIN)/quarterdeck demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint contracts typecheck unit

# Real third-party ACP agents (installed into build/agents) through the real `quarterdeck run`;
# writes docs/agents.md. Needs the package registries (PyPI, npm) and a Python >= 3.13.
conformance: $(STAMP)
	$(BIN)/python -m tests.conformance

snapshot-update: $(STAMP)
	$(BIN)/python -m pytest -q tests/ui --snapshot-update

bench: $(STAMP)
	$(BIN)/python bench/store.py
	$(BIN)/python bench/policy.py
	$(BIN)/python bench/agents.py
	$(BIN)/python bench/checkpoints.py
	$(BIN)/python bench/console.py

fuzz: $(STAMP)
	for t in shell gate policy events; do \
		$(BIN)/python tests/fuzz/fuzz_targets.py $$t -max_total_time=$${FUZZ_SECONDS:-60} || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build
