# secondround: `make demo` runs a simulated hiring round, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install prism browser postgres demo test lint lock clean bench-pacing bench-mail bench-planner bench-replies bench-round bench-chaos bench-limits

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "secondround needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	@# uv installs the hashed lock in seconds (pip took minutes of CI's 30), compiled to bytecode as pip does:
	@# every flow run is a new process, and PYTHONDONTWRITEBYTECODE would make each compile Prefect anew
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode --require-hashes -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# Prism serves Twilio's OpenAPI spec for the contract test; versions pinned by tools/prism/package-lock.json.
PRISM_STAMP := tools/prism/node_modules/.installed-$(shell cksum < tools/prism/package-lock.json | cut -d' ' -f1)

prism: $(PRISM_STAMP)

$(PRISM_STAMP): tools/prism/package-lock.json
	@command -v npm >/dev/null || { echo "the Twilio contract test needs Node 20 and npm (Debian: apt install nodejs npm)"; exit 1; }
	cd tools/prism && npm ci --no-audit --no-fund --loglevel=error
	@touch $(PRISM_STAMP)

# The candidate page's browser test: Debian's chromium, driven by Playwright (no browser download),
# and axe-core (pinned by tools/axe/package-lock.json). Debian's chromium follows its security
# updates, so it is not pinned; tests/browser records the version it ran.
AXE_STAMP := tools/axe/node_modules/.installed-$(shell cksum < tools/axe/package-lock.json | cut -d' ' -f1)
CHROMIUM ?= /usr/bin/chromium

browser: $(AXE_STAMP) $(CHROMIUM)

$(CHROMIUM):
	@[ "$$(id -u)" = 0 ] || { echo "the browser test needs Debian's chromium: sudo apt-get install chromium"; exit 1; }
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null

$(AXE_STAMP): tools/axe/package-lock.json
	cd tools/axe && npm ci --no-audit --no-fund --loglevel=error
	@touch $(AXE_STAMP)

# The scale-out configuration's test and benchmark run Prefect on Debian's PostgreSQL
# (sandbox/postgres.py starts a throwaway cluster; the package's service stays stopped).
POSTGRES_INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))

postgres:
	@[ -n "$(POSTGRES_INITDB)" ] || [ "$$(id -u)" = 0 ] || { echo "the scale-out test needs PostgreSQL: sudo apt-get install postgresql"; exit 1; }
	@[ -n "$(POSTGRES_INITDB)" ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }

demo: install
	$(BIN)/python -m sandbox.demo $(ARGS)

test: install prism browser postgres
	$(BIN)/python -m pytest $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Benchmarks: results and the machine they ran on go to docs/benchmarks.md.
bench-pacing: install
	PYTHONPATH=. $(BIN)/python -m bench.pacing --unpaced

bench-mail: install
	PYTHONPATH=. $(BIN)/python -m bench.mail

bench-replies: install
	PYTHONPATH=. $(BIN)/python -m bench.replies

bench-planner: install
	PYTHONPATH=. $(BIN)/python -m bench.planner

# Re-pin after changing dependencies in pyproject.toml (with the venv's uv).
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --no-header -o requirements.lock

clean:
	rm -rf $(VENV) tools/prism/node_modules tools/axe/node_modules .secondround .mypy_cache .ruff_cache .pytest_cache

# A whole round on SQLite, then on PostgreSQL, each against bare Prefect doing the same runs and
# tasks. CANDIDATES=1000 is the issue's size: hours on two cores (docs/benchmarks.md).
CANDIDATES ?= 50
bench-round: install postgres
	PYTHONPATH=. $(BIN)/python -m bench.round --candidates $(CANDIDATES) --database sqlite
	PYTHONPATH=. $(BIN)/python -m bench.round --candidates $(CANDIDATES) --database postgres --workers 2 --limit 3

# Workers and their flow processes killed at random moments while a round runs, on PostgreSQL
# across two machines and on the embedded default (docs/benchmarks.md).
bench-chaos: install postgres
	PYTHONPATH=. $(BIN)/python -m bench.chaos

# How many flow processes at once Prefect holds on SQLite and on PostgreSQL (README's safe limits; docs/benchmarks.md).
bench-limits: install postgres
	PYTHONPATH=. $(BIN)/python -m bench.limits --uncapped
	PYTHONPATH=. $(BIN)/python -m bench.limits --limits 30
	PYTHONPATH=. $(BIN)/python -m bench.limits --limits 30 --database postgres
