# Two commands on a fresh machine: `make run` (the default tiny job) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# Offline: nothing is fetched from a hub. Telemetry is off and the known warnings are filtered by the
# project itself (src/xllm_kedro/quiet.py), so the commands below print the same run directly.
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export KEDRO_DISABLE_TELEMETRY := true
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install world run test test-fast bench rehearse-paper viz viz-build lineage mlflow-ui notebook clean slurm-up slurm-down

$(BIN)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	-.ci/cc
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test]"
	touch $@

install: $(BIN)/.installed

WORLD := data/01_raw/world/world.json
$(WORLD): $(BIN)/.installed conf/base/parameters_world.yml $(wildcard src/xllm_kedro/world/*.py)
	$(BIN)/python -m xllm_kedro.world --params conf/base/parameters_world.yml --out data/01_raw/world

world: $(WORLD)          ## the controlled world's raw data (seeded, byte-identical per seed)

run: install $(WORLD)   ## all seven pipelines on the default (CPU, minutes)
	$(BIN)/kedro run

test: install           ## the whole test suite, slow tests included
	$(BIN)/python -m pytest -q

test-fast: install      ## the tests not marked slow: no `kedro run`, no training job, no large input
	$(BIN)/python -m pytest -q -m "not slow"

slurm-up:               ## a single-node Slurm on this machine (Debian slurm-wlm + munge) for the Slurm tests
	.ci/slurm start

slurm-down:             ## stop the daemons slurm-up started (by PID)
	.ci/slurm stop

bench: install          ## benchmarks -> data/08_reporting/benchmarks.json
	$(BIN)/python -m benchmarks.bench

rehearse-paper: install ## conf/paper end to end on this CPU, offline: local hub replicas, tiny models, CPU launcher
	$(BIN)/python -m rehearsal

viz: install            ## lineage in the browser at http://127.0.0.1:4141
	$(BIN)/kedro viz run --host 127.0.0.1 --no-browser

viz-build: install      ## static lineage site in build/
	$(BIN)/kedro viz build && $(BIN)/python docs/lineage_view.py build

lineage: viz-build      ## docs/lineage.png: headless Chromium's picture of the site's default view (.ci/chromium installs it)
	$(BIN)/python docs/lineage_screenshot.py --site build --out docs/lineage.png

mlflow-ui: install      ## compare runs at http://127.0.0.1:5000
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

NOTEBOOK_OUT := data/08_reporting/compare_runs
notebook: install       ## compare the runs: executes notebooks/compare_runs.ipynb (KEDRO_ENV=test for --env test runs)
	mkdir -p $(NOTEBOOK_OUT)
	$(BIN)/jupyter execute notebooks/compare_runs.ipynb --output=../$(NOTEBOOK_OUT)/compare_runs

clean:                  ## remove every generated output, the world included (the sample data and config stay)
	find data/0[2-8]_* -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	rm -rf data/01_raw/world mlflow.db mlruns info.log info.log.*
