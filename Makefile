# Two commands on a fresh machine: `make run` (install + the main job) and `make test`.
# torch is installed first, pinned to the CPU wheel, so nothing ever pulls CUDA packages.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/lyriccore starter --out models/starter
	$(BIN)/lyricbot run

# Two workers, one per core; a test file stays on one worker, so its module fixtures (trained
# tiny models, a fake Discord) are built once.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
