# Maillage — the two commands: `make run` (the whole network on localhost) and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the dependencies, pinned with their hashes (`make lock` writes them): LOCK is the image's
# (deploy/Dockerfile), TEST_LOCK adds the test extras for make run and make test, INSTALLER_LOCK is
# uv, which installs TEST_LOCK (~15 s where pip took ~50: a fresh machine's `make test` begins so)
LOCK           := requirements.lock
TEST_LOCK      := requirements-test.lock
INSTALLER_LOCK := requirements-installer.lock
UV_INSTALL     := $(BIN)/uv pip install --quiet --python $(BIN)/python

.PHONY: run test install lock bench catalogue clean alone-tests

# uv by pip, then everything from the lock by uv, hash-checked (pip, setuptools and wheel included)
# and compiled to bytecode as pip would, then the project itself without its dependencies;
# `pip check` then fails when pyproject.toml names a dependency the lock lacks. The stamp follows
# pyproject.toml and the locks: a new lock reinstalls.
$(STAMP): pyproject.toml $(TEST_LOCK) $(INSTALLER_LOCK)
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(INSTALLER_LOCK)
	$(UV_INSTALL) --compile-bytecode --require-hashes -r $(TEST_LOCK)
	$(UV_INSTALL) --no-deps --no-build-isolation -e .
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; \
		echo "$(TEST_LOCK) lacks what pyproject.toml asks for: run \`make lock\`"; exit 1; }
	touch $(STAMP)

install: $(STAMP)

## requirements.lock and requirements-test.lock from pyproject.toml, with hashes, after a dependency
## changed there, and requirements-installer.lock (uv, which installs them). Pins already in the
## lock files stay where pyproject.toml allows them; `make lock UPGRADE=1` takes the latest of
## everything. Reads the package index (pip's own configuration), so a few minutes.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --no-build-isolation \
	$(if $(UPGRADE),--upgrade)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/pip-compile || $(BIN)/python -m pip install --quiet "pip-tools>=7.4,<8" "setuptools<81" wheel
	$(PIP_COMPILE) --output-file $(LOCK) pyproject.toml
	$(PIP_COMPILE) --extra test --constraint $(LOCK) --output-file $(TEST_LOCK) pyproject.toml
	echo "uv>=0.13,<0.14" | $(PIP_COMPILE) --output-file $(INSTALLER_LOCK) -

## the whole network (4 services, 4 outbox relays, gateway, demo data) on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/maillage run

## every test: first ruff (lint, then layout: it stops at its first complaint, with ruff's own
## message), then brings up RabbitMQ (with its management plugin), PostgreSQL and Chromium where it
## can, or stops at once with one line saying what is missing (tests/services_up.sh). Then two
## passes, one status: the tests on TEST_WORKERS pytest-xdist workers (they mostly wait on the
## broker and subprocesses, so more workers than cores pay; tests sharing one network run on one
## worker), then the tests marked `alone` (wall-clock bounds, faults under load) by themselves,
## one after the other, but for the broker cluster's and the faults under load's (`alone_beside`),
## each on a worker of its own: three workers (tests/test_suite_layout.py names those modules).
## The alone pass collects only the modules holding such tests (ALONE_TESTS; without
## PYTEST_ARGS): collecting the whole suite costs each of its four processes ~6 CPU-s.
## Each pass ends with its slowest tests (--durations), where the suite's time goes.
## Exit status 5 (a pass with no test, e.g. PYTEST_ARGS="-k village") counts as passed if the other
## pass ran.
TEST_WORKERS ?= 4
PYTEST := $(BIN)/python -m pytest -W ignore::DeprecationWarning
# Bytecode written even where the environment says not to (PYTHONDONTWRITEBYTECODE=1, as on this
# kind of machine): each pytest process rewrites every test module's asserts and each of the
# hundreds of processes the tests start (networks, commands) compiles the project anew otherwise.
# Collecting the suite: 18 CPU-s cold, 8 once compiled.
ALONE_TESTS = $(shell grep -rlE --include='test_*.py' 'mark\.alone\b' tests | sort)
test: export PYTHONDONTWRITEBYTECODE =
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@bash tests/services_up.sh
	@$(PYTEST) -n $(TEST_WORKERS) --dist loadgroup --durations=15 --suite-pass=parallel $(PYTEST_ARGS); parallel=$$?; \
	$(PYTEST) -n 3 --dist loadgroup --durations=5 --suite-pass=alone $(or $(PYTEST_ARGS),$(ALONE_TESTS)); alone=$$?; \
	echo "make test: parallel pass exit $$parallel, alone pass exit $$alone"; \
	for status in $$parallel $$alone; do \
		[ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status; \
	done; \
	[ $$parallel -eq 0 ] || [ $$alone -eq 0 ]

# the modules the alone pass collects (tests/test_suite_layout.py checks they hold every alone test)
alone-tests:
	@echo $(ALONE_TESTS)

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
	$(BIN)/python bench/order_cost.py $(ORDER_COST_ARGS)
	$(BIN)/python bench/order_growth.py

catalogue: $(STAMP)
	$(BIN)/maillage events-catalogue

clean:
	rm -rf var .pytest_cache
