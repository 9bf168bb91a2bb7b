# The two commands in README.md do all the set-up: `make build` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: build test check watch benchmark clean

build: $(STAMP)            ## run every post and write hugo_content/ and figures/
	$(BIN)/scratchbook build --jobs 2

test: $(STAMP)             ## the test suite, then regenerate every post from a cold cache
	$(BIN)/python -m pytest
	$(BIN)/scratchbook check

check: $(STAMP)
	$(BIN)/scratchbook check

watch: $(STAMP)
	$(BIN)/scratchbook watch

benchmark: $(STAMP)
	$(BIN)/python benchmarks/train_speed.py $(NAMES)

# torch==2.13.0 is pinned in pyproject.toml: pip takes the local CPU wheel (no CUDA download).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .scratchbook
