# The two commands a newcomer needs: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test lint bench-router clean-db

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

$(VENV)/.bench: requirements-bench.txt requirements-dev.txt requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@ $(VENV)/.dev $(VENV)/.runtime

# The router's fast ruin and recreate is compiled once (about 20 s) and cached on disk.
$(VENV)/.compiled: routing/sisr.py routing/sisr_route.py routing/sisr_kernels.py routing/sisr_tails.py requirements.txt | $(VENV)/.runtime
	$(BIN)/python -m routing compile
	touch $@

/usr/bin/chromium:
	(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || \
	  echo "Could not install Debian's chromium: browser tests will fail."

## run: the service with the seeded Suffolk demo on SQLite at http://127.0.0.1:$(PORT)
run: $(VENV)/.runtime $(VENV)/.compiled
	test -f instance/equipment.db || $(BIN)/flask --app wsgi seed --demo --history 12
	$(BIN)/flask --app wsgi migrate
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

## test: the whole suite, one worker per core (SQLite; set TEST_DATABASE_URL for PostgreSQL: each worker uses its own database, e.g. test_gw0)
test: $(VENV)/.dev $(VENV)/.compiled /usr/bin/chromium
	$(BIN)/python -m pytest -q -n auto

## lint: ruff's checks and its formatter (settings in pyproject.toml)
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean-db:
	rm -f instance/equipment.db instance/equipment.db-wal instance/equipment.db-shm
