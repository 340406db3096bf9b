# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
ADDR ?= 127.0.0.1:8000
SEED ?= 2021
PG_URL ?= postgres://postgres@127.0.0.1:5432/thidua

.PHONY: demo test test-sqlite test-postgres lint install bench bench-web screenshots

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# ADDR=0.0.0.0:8000 lets a phone on the same network in; TODAY=YYYY-MM-DD moves the simulated today (default: the
# middle of the campaign); STAGE=scored|published|proposed|decided carries it past the deadline to that step.
# The command prints how to point the other `thidua` commands at the demo's database.
demo: $(STAMP)
	$(BIN)/thidua demo $(ADDR) --seed $(SEED) $(if $(TODAY),--today $(TODAY)) $(if $(STAGE),--stage $(STAGE))

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive thidua
	$(BIN)/thidua makemigrations --check --dry-run

test-sqlite: $(STAMP)
	DATABASE_URL= $(BIN)/pytest

test-postgres: $(STAMP)
	scripts/ensure-postgres
	DATABASE_URL=$(PG_URL) $(BIN)/pytest

test: lint test-sqlite test-postgres

bench: $(STAMP)
	$(BIN)/python bench/bench_import.py

# The pages under load: gunicorn + locust, 20 clients (locust is in the `bench` extra, not in dev).
# DATABASE_URL=postgres://postgres@127.0.0.1:5432/thidua_bench_web for PostgreSQL.
bench-web: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python bench/bench_web.py

# Screenshots of the pages at phone and desktop widths (needs Debian's chromium), into shots/.
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

# The site's catalogues, thidua/locale/{vi,en} (needs GNU gettext; the .mo files are committed, so installing
# needs none): every text the package marks for translation, then compiled. Run inside the package, which is all
# it reads; accounts/locale is the accounts app's hand-kept fixes of Django's own Vietnamese, not made here.
.PHONY: messages
messages: $(STAMP)
	cd thidua && ../$(BIN)/thidua makemessages -l vi -l en --no-obsolete --add-location=file --ignore=accounts/locale
	cd thidua && ../$(BIN)/thidua compilemessages
