# The two commands in README.md do all the set-up: `make build` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: build test check watch benchmark race clean chromium

build: $(STAMP)            ## run every post and write hugo_content/ and figures/
	$(BIN)/scratchbook build --jobs 2

test: $(STAMP) chromium    ## the test suite, then regenerate every post from a cold cache
	$(BIN)/python -m pytest
	$(BIN)/scratchbook check --jobs 2

check: $(STAMP)
	$(BIN)/scratchbook check --jobs 2

watch: $(STAMP)
	$(BIN)/scratchbook watch

benchmark: $(STAMP)
	$(BIN)/python benchmarks/train_speed.py $(NAMES)

# makemore's own script against the recipes, one core each: make race MAKEMORE=path/to/makemore.py NAMES=path/to/names.txt
race: $(STAMP)
	$(BIN)/python benchmarks/makemore_race.py $(MAKEMORE) $(NAMES)

# torch==2.13.0 is pinned in pyproject.toml: pip takes the local CPU wheel (no CUDA download).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The figure tests render every figure in Debian's Chromium: installed here when missing and
# we are root with apt-get (CI); otherwise tests/figures fails saying how to install it.
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

clean:
	rm -rf $(VENV) .scratchbook
