# Set-up and main jobs for `forecast`.  `make run` and `make test` are the whole set-up.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
ARGS ?=
# The package's bytecode: an editable install writes none, nor does Python under
# PYTHONDONTWRITEBYTECODE, and compiling forecast/ afresh costs each cold run about 0.1 s.
# Quick when up to date (compileall compares each file's time stamp).
BYTECODE = $(PY) -m compileall -q forecast

.PHONY: help run test check lint types bench lab clean schema lock
help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# Find a Python >= 3.12: $PYTHON, then python3.13/python3.12/python3 on PATH, then pyenv's versions.
FIND_PYTHON = for c in "$$PYTHON" python3.13 python3.12 python3 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  [ -n "$$c" ] || continue; \
	  if "$$c" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then command -v "$$c" || echo "$$c"; break; fi; \
	done

# Runtime set-up (make run, make lab): requirements.lock and the package.
$(STAMP): pyproject.toml requirements.lock
	@py=$$($(FIND_PYTHON)); \
	if [ -z "$$py" ]; then \
	  echo "error: forecast needs Python >= 3.12 with venv. None was found on PATH or under pyenv." >&2; \
	  echo "       Install one (e.g. 'pyenv install 3.12') or point to it: make PYTHON=/path/to/python3.12 ..." >&2; \
	  exit 2; \
	fi; \
	echo "Setting up $(VENV) with $$py ($$($$py -c 'import sys; print(sys.version.split()[0])'))"; \
	[ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || { rm -rf $(VENV); "$$py" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BYTECODE)
	@touch $(STAMP)

# Development set-up (make test, check, lint, bench): requirements-dev.lock on top.
$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(PY) -m pip install --quiet -r requirements.lock -r requirements-dev.lock
	@touch $(DEV_STAMP)

run: $(STAMP)  ## set up, then forecast the bundled scenario and score it (writes out/)
	@$(BYTECODE)
	$(VENV)/bin/forecast run $(ARGS)
	$(VENV)/bin/forecast score

test: lint types /usr/bin/chromium  ## set up, then lint, types and every test (slow ones included): what CI runs
	$(PY) -m pytest $(ARGS)

/usr/bin/chromium:  # the browser test's browser (Debian's chromium), installed when missing;
	-bash tools/install-chromium  # where it cannot be, the other tests still run

check: lint types  ## the fast loop: lint, types and the tests not marked slow (under 2 minutes)
	$(PY) -m pytest -m "not slow" -q $(ARGS)

lint: $(DEV_STAMP)  ## ruff lint and format check
	$(VENV)/bin/ruff check forecast tests bench
	$(VENV)/bin/ruff format --check forecast tests bench

types: $(DEV_STAMP)  ## mypy over forecast/ (configured in pyproject.toml)
	$(VENV)/bin/mypy forecast

bench: $(DEV_STAMP)  ## performance benchmarks; writes bench/RESULTS.md
	@$(BYTECODE)
	$(PY) bench/run.py $(ARGS)
	$(PY) bench/watch_case.py  # forecast watch (issue 13): writes bench/WATCH.md

lab: $(STAMP)  ## open the notebooks in JupyterLab (root, e.g. in a container: --allow-root added)
	$(VENV)/bin/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(ARGS)

schema: $(STAMP)  ## regenerate the JSON Schemas in forecast/schema/
	$(PY) -m forecast schema --write

lock: $(STAMP)  ## re-resolve requirements.lock (runtime) and requirements-dev.lock from pyproject.toml
	rm -rf .lockenv && $(PY) -m venv .lockenv && .lockenv/bin/pip install --quiet --upgrade pip
	.lockenv/bin/pip install --quiet -e '.[lab]'
	{ echo "# Runtime: what 'make run' and 'make lab' install (pip install -e '.[lab]'), pinned. 'make lock' rewrites it."; \
	  .lockenv/bin/pip freeze --exclude-editable | grep -v '^forecast'; } > requirements.lock
	.lockenv/bin/pip install --quiet -e '.[lab,dev,distributed]'
	{ echo "# Development: tests, lint, the browser test, on top of requirements.lock ('.[dev,distributed]'), pinned. 'make lock' rewrites it."; \
	  .lockenv/bin/pip freeze --exclude-editable | grep -v '^forecast' | grep -vxF -f requirements.lock; } > requirements-dev.lock
	rm -rf .lockenv

clean:  ## remove the virtual environment and outputs
	rm -rf $(VENV) out
