# The project's one task runner: README and .ci/run call these targets.
#   make run    install, then migrate + verify (the local dev database when no URL is set)
#   make test   install, prepare PostgreSQL and the container lane, run the whole suite
#   make lint   ruff, mypy, the layer contracts and astegni-db's own migration lint

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup run test lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,embedded]'
	@rm -f $(VENV)/.installed-* && touch $@
	@$(BIN)/astegni-db --version

setup: $(STAMP)

run: setup
	$(BIN)/astegni-db migrate
	$(BIN)/astegni-db verify

# Workers: the tests mostly wait (on locks, servers, processes), so more
# workers than cores still shortens the run; PYTEST_WORKERS=0 runs in-process.
PYTEST_WORKERS ?= 4
# Lanes (pytest -m): auto = every lane this machine can run (.ci/lanes.py says
# which it leaves out and why); or an expression, e.g. "container", "not root".
PYTEST_LANES ?= auto

test: setup
	bash .ci/prepare
	@lanes='$(PYTEST_LANES)'; \
	if [ "$$lanes" = auto ]; then lanes=$$($(BIN)/python .ci/lanes.py) || exit 2; fi; \
	echo "pytest lanes: -m \"$$lanes\"" >&2; \
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope -m "$$lanes" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check astegni_db tests benchmarks .ci
	$(BIN)/ruff format --check astegni_db tests benchmarks .ci
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.gitlab-ci .gitlab-ci.yml gitlab/astegni-db.gitlab-ci.yml
	$(BIN)/astegni-db lint

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Issue 6's benchmarks, one after another (docs/performance.md); e.g. BENCH_ARGS=--quick
.PHONY: bench
bench: setup
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)
