# The README's two commands are `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv/bin
export FLASK_APP := app

.PHONY: run test chromium lint typecheck pytest setup setup-dev migrate seed clean bench-sms bench-ussd bench-faults translations

run: setup ## Set up, migrate, seed if empty, then run Redis, a worker and the web server
	$(VENV)/flask db upgrade
	$(VENV)/flask seed demo --if-empty
	$(VENV)/python -m ops.launcher

test: setup-dev chromium lint typecheck pytest ## Lint, type-check and run the whole test suite

chromium: ## Install Debian's Chromium for the browser tests when root with apt-get (one line)
	@$(VENV)/python scripts/chromium.py

setup:
	@scripts/bootstrap.sh requirements.txt

setup-dev:
	@scripts/bootstrap.sh requirements-dev.txt

lint:
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

typecheck:
	$(VENV)/mypy

pytest:
	$(VENV)/pytest

migrate: setup
	$(VENV)/flask db upgrade

seed: migrate
	$(VENV)/flask seed demo

BENCH_N ?= 200000
BENCH_WORKERS ?= 2
bench-sms: setup-dev ## Feed BENCH_N ready updates over HTTP and send every notice to a fake AT (PostgreSQL + Redis)
	NO_PROXY=127.0.0.1,localhost $(VENV)/python -m bench.sms --n $(BENCH_N) --workers $(BENCH_WORKERS)

clean:
	rm -rf var/huduma.db* var/redis.* var/metrics

bench-ussd: setup ## USSD hops/s, latency and memory under 32 sessions, side by side with ussd-menu-builder (PostgreSQL, Redis db 8 and 7, Node)
	bench/ussd_bench.sh

BENCH_FAULT_SECONDS ?= 30
BENCH_QUIET_SECONDS ?= 20
BENCH_CALLERS ?= 12
bench-faults: setup ## Steady USSD load while each fault is injected for BENCH_FAULT_SECONDS (PostgreSQL, redis-server)
	NO_PROXY=127.0.0.1,localhost $(VENV)/python -m bench.faults --fault-seconds $(BENCH_FAULT_SECONDS) \
		--quiet-seconds $(BENCH_QUIET_SECONDS) --callers $(BENCH_CALLERS)

translations: ## Re-extract, update and compile the USSD catalogues (gettext domain "ussd")
	$(VENV)/pybabel extract -F babel.cfg -k N_ -o translations/ussd.pot --no-location --omit-header --sort-output .
	$(VENV)/pybabel update -D ussd -i translations/ussd.pot -d translations --no-fuzzy-matching -w 100
	$(VENV)/pybabel compile -D ussd -d translations
