# Two commands do all the set-up on a machine with only python3 and make:
#   make demo   install, load the seed into the default store, show handovers and the summary
#   make test   install, then lint, type-check and run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test test-postgres bench docs lint typecheck clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Byte-compile the package as a regular (non-editable) pip install would: an editable
# install leaves it to the first import, and with PYTHONDONTWRITEBYTECODE set every run
# would compile the sources again (~40 ms of each command's start-up).
install: $(STAMP)
	$(BIN)/python -m compileall -q src

demo: install
	$(BIN)/nexus load
	$(BIN)/nexus db path
	$(BIN)/nexus handovers
	$(BIN)/nexus summary --fiscal-year-start 4 --chart

lint: install
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools

typecheck: install
	$(BIN)/mypy

# The suite on every core (pytest-xdist): each test has its own store and home directory.
test: lint typecheck
	$(BIN)/pytest -q -n auto

# The same suite on PostgreSQL: NEXUS_TEST_DATABASE_URL=postgresql+psycopg://USER:PASS@HOST/DB
# In one process: the tests share the one database, emptied for each test.
test-postgres: install
	@test -n "$(NEXUS_TEST_DATABASE_URL)" || { echo "set NEXUS_TEST_DATABASE_URL"; exit 2; }
	NEXUS_TEST_DATABASE_URL='$(NEXUS_TEST_DATABASE_URL)' $(BIN)/pytest -q

# Not part of `make test`: minutes of work, figures for bench/RESULTS.md.
bench: install
	$(BIN)/python bench/run.py

# The rendered donor reports shown in the README (needs Chromium: apt-get install chromium):
# the seed's, and the example project's with its results framework; and the example
# project's IATI activity (docs/iati.md).
CHROMIUM_SHOT = chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=900,2600
docs: install
	store=$$(mktemp -d) && \
	$(BIN)/nexus --db $$store/docs.db load >/dev/null && \
	$(BIN)/nexus --db $$store/docs.db report --quarter 2025-Q1 --fiscal-year-start 4 \
		--format html -o docs/report-2025-Q1.html && \
	$(BIN)/nexus --db $$store/example.db load tests/sources/example-project.yaml >/dev/null && \
	$(BIN)/nexus --db $$store/example.db report --quarter 2025-Q1 --fiscal-year-start 4 \
		--format html -o docs/example-report-2025-Q1.html && \
	$(BIN)/nexus --db $$store/example.db export --format iati --fiscal-year-start 4 \
		-o docs/example-iati.xml && \
	rm -r $$store
	$(CHROMIUM_SHOT) --screenshot=docs/report-2025-Q1.png docs/report-2025-Q1.html 2>/dev/null
	$(CHROMIUM_SHOT) --screenshot=docs/example-report-2025-Q1.png \
		docs/example-report-2025-Q1.html 2>/dev/null

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
