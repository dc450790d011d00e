# RewardsHub: `make run` serves the demo hub, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HUB_PORT ?= 8000
PMS_SIM_PORT ?= 8001
export HUB_PORT PMS_SIM_PORT

.PHONY: run test install install-test chromium nginx lint bench clean messages

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("RewardsHub needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python scripts/run_demo.py

chromium:
	@scripts/ensure-chromium.sh

nginx:
	@scripts/ensure-nginx.sh

lint: install
	$(BIN)/ruff check src tests scripts $(wildcard bench)
	$(BIN)/mypy src/rewardshub src/rewardshub_bridge src/pms_sim

test: install chromium nginx lint
	$(BIN)/rewardshub makemigrations --check --dry-run
	@scripts/test.sh

# The portal's Spanish catalogue: gather the marked strings into the .po (translate the
# new ones there), then compile the .mo. Both are committed; needs GNU gettext.
messages: install
	cd src/rewardshub && REWARDSHUB_VAR_DIR=$(CURDIR)/var $(CURDIR)/$(BIN)/rewardshub makemessages \
		-l es --add-location=file --no-obsolete --ignore=static --ignore=migrations
	cd src/rewardshub && REWARDSHUB_VAR_DIR=$(CURDIR)/var $(CURDIR)/$(BIN)/rewardshub compilemessages -l es

bench: install
	@bench/ensure-wrk.sh
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) var/ .pytest_cache
