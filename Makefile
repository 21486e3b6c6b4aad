# `make demo` and `make test` each create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-browser lint format bench clean docs

$(BIN)/cortexkit: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: a CPU build of 2.13.0 lies on disk; a looser spec pulls a CUDA build.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,export]'
	touch $(BIN)/cortexkit

demo: $(BIN)/cortexkit
	$(BIN)/cortexkit demo --out demo-output

test: $(BIN)/cortexkit
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# The quick demo's report in headless Chromium (Debian's `chromium`; .ci/run installs it):
# images decoded, no console errors, no text overflowing its box, figure text >= 9 pt.
# CORTEXKIT_REQUIRE_BROWSER=1 turns a missing Chromium into a failure, not a skip; the
# screenshot, demo-output/report.png, is a CI artefact.
test-browser: $(BIN)/cortexkit
	$(BIN)/cortexkit demo --quick --out demo-output
	CORTEXKIT_REQUIRE_BROWSER=1 CORTEXKIT_REPORT=demo-output/report.html \
		CORTEXKIT_SCREENSHOT=demo-output/report.png $(BIN)/python -m pytest -q tests/browser

lint: $(BIN)/cortexkit
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# docs/cli.md is generated from the parser; tests/test_cli_reference.py fails when it is stale.
docs: $(BIN)/cortexkit
	$(BIN)/python -m cortexkit.cli.reference > docs/cli.md.tmp && mv docs/cli.md.tmp docs/cli.md

format: $(BIN)/cortexkit
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# The peers come from the optional `bench` extra; every bench/*.py script runs in turn
# (files starting with `_` are helpers, not scripts), so a new script needs no edit here.
# somoclu is then rebuilt from source: a plain install (or a cached wheel) can come without
# its compiled module, _somoclu_wrap. It needs numpy already there (no build isolation) and
# no CUDA compiler wrapper on PATH, and the check after it fails loudly if the module is absent.
$(VENV)/.bench-extra: $(BIN)/cortexkit
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	PATH=$(abspath $(BIN)):/usr/bin:/bin $(BIN)/python -m pip install --quiet \
		--disable-pip-version-check --no-build-isolation --force-reinstall --no-deps \
		--no-cache-dir --no-binary somoclu somoclu
	$(BIN)/python -c "import somoclu.somoclu_wrap"
	touch $@

bench: $(VENV)/.bench-extra
	@set -e; for script in bench/*.py; do \
		case "$${script##*/}" in _*) continue ;; esac; \
		echo "== $$script"; \
		$(BIN)/python "$$script"; \
	done

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache
