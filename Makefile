# Two commands do all the set-up on a fresh machine:
#   make run    serve the API on the embedded SQLite database (http://127.0.0.1:8000/docs)
#   make test   quality gates and the whole test suite
# Set TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the PostgreSQL tests too.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install browser pgbouncer wrk run migrate test lint typecheck layers pytest bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# Debian's packages the tests (and `make bench`) need, installed with apt-get as root or through
# passwordless sudo when missing. When one cannot be, its script says why in one line and exits 0,
# so pytest still runs and skips those tests; under CI=true it fails (.ci/apt-install.bash).
# Debian's chromium, for the tests that drive /docs in a real browser.
browser:
	.ci/install-browser

# Debian's pgbouncer, which the PostgreSQL tests start privately in transaction mode (as Neon's
# pooled endpoint); the package's own service is kept from starting.
pgbouncer:
	.ci/install-pgbouncer

# Debian's wrk, the load generator of `make bench`.
wrk:
	.ci/install-wrk

run: $(STAMP)
	$(BIN)/tasks serve

migrate: $(STAMP)
	$(BIN)/tasks migrate

lint: $(STAMP)
	$(BIN)/ruff check src tests alembic bench
	$(BIN)/ruff format --check src tests alembic bench

typecheck: $(STAMP)
	$(BIN)/mypy src

layers: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP) browser pgbouncer
	$(BIN)/pytest

test: lint typecheck layers pytest

# The service against bare FastAPI apps on the same rows (bench/run.py); rewrites bench/RESULTS.md.
# Minutes long and timing-sensitive, so never part of `make test`. E.g. BENCH_ARGS='--rounds 3 --backends postgres'.
bench: $(STAMP) wrk pgbouncer
	$(BIN)/python -m bench.run --write-results $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
