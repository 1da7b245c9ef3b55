# Maillage — the two commands: `make run` (the whole network on localhost) and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install bench catalogue clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools<81" wheel
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## the whole network (4 services, 4 outbox relays, gateway, demo data) on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/maillage run

## every test: first ruff (lint, then layout: it stops at its first complaint, with ruff's own
## message), then brings up RabbitMQ (with its management plugin), PostgreSQL and Chromium where it
## can, or stops at once with one line saying what is missing (tests/services_up.sh). Then two
## passes, one status: the tests on TEST_WORKERS pytest-xdist workers (they mostly wait on the
## broker and subprocesses, so more workers than cores pay; tests sharing one network run on one
## worker), then the tests marked `alone` (wall-clock bounds, faults under load) by themselves.
## Exit status 5 (a pass with no test, e.g. PYTEST_ARGS="-k village") counts as passed if the other
## pass ran.
TEST_WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -W ignore::DeprecationWarning
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@bash tests/services_up.sh
	@$(PYTEST) -n $(TEST_WORKERS) --dist loadgroup --suite-pass=parallel $(PYTEST_ARGS); parallel=$$?; \
	$(PYTEST) --suite-pass=alone $(PYTEST_ARGS); alone=$$?; \
	echo "make test: parallel pass exit $$parallel, alone pass exit $$alone"; \
	for status in $$parallel $$alone; do \
		[ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status; \
	done; \
	[ $$parallel -eq 0 ] || [ $$alone -eq 0 ]

## figures: throughput, memory, start-up time, the counter under load (not part of the tests; LOAD_ARGS="--users 20 --duration 60")
bench: $(STAMP)
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/startup.py --compact
	$(BIN)/python bench/load.py --backend sqlite $(LOAD_ARGS)
	$(BIN)/python bench/load.py --backend postgresql $(LOAD_ARGS)
	$(BIN)/python bench/load.py --backend postgresql --think 1 $(LOAD_ARGS)
	$(BIN)/python bench/load.py --backend postgresql $(LOAD_ARGS) --mix orders --users 40
	$(BIN)/python bench/notice_latency.py --backend postgresql

catalogue: $(STAMP)
	$(BIN)/maillage events-catalogue

clean:
	rm -rf var .pytest_cache
