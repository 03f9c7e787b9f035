# VEGAN Cookbook — the two commands a reader needs are `make book` and `make test`.
# Both create the virtual environment on first use (target `install`).

PYTHON     ?= python3
VENV       ?= .venv
# Override to pick another build, e.g.
#   make book TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH_SPEC ?= torch==2.13.0

BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Tools and notebook kernels resolve to the project's environment.
export PATH := $(abspath $(BIN)):$(PATH)
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# The book's networks are tiny: one BLAS/OpenMP thread is about as fast as two, and it avoids
# the 10x slowdowns of spinning threads when the two cores are shared. Override if you like.
OMP_NUM_THREADS ?= 1
export OMP_NUM_THREADS

NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
TEST_CONFIG := _build/_config.test.yml

.PHONY: help install book test lint unit nbval build-check site notebooks reference clean

help:
	@echo "make book       build the executed HTML book (creates $(VENV) on first use)"
	@echo "make test       ruff + unit tests + notebooks under nbval + book build with warnings as errors"
	@echo "                + every page of the built book checked in headless Chromium (make site)"
	@echo "make site       check the built book (_build/html) in headless Chromium; screenshots in _build/screenshots"
	@echo "make notebooks  re-execute every notebook in place (stored outputs are what readers see)"
	@echo "make reference  train every reference recipe at full settings, 3 seeds -> book/results/"
	@echo "                (about 90 min on 2 CPU cores; resumes after an interruption)"
	@echo "make clean      remove build outputs (keeps $(VENV))"

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC)
	$(BIN)/python -m pip install --quiet -e ".[book,dev]"
	@touch $@

book: install
	$(BIN)/jupyter-book build .
	@echo ""
	@echo "The book is at file://$(abspath _build/html/index.html)"

test: lint unit nbval build-check site

lint: install
	$(BIN)/ruff check .

unit: install
	$(BIN)/python -m pytest tests --doctest-modules vegan_lib

nbval: install
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:python book/

# Build from the stored notebook outputs (no re-execution), warnings as errors. --all reads
# every page again, so a warning of an unchanged page is not hidden by the previous build. The
# test config lives in _build/, so the path of the local Sphinx extensions is made absolute.
build-check: install
	@mkdir -p _build
	sed -e 's/^\(\s*execute_notebooks:\).*/\1 "off"/' \
	    -e 's|^\(\s*[a-z_]*: \)book/_ext$$|\1$(abspath book/_ext)|' _config.yml > $(TEST_CONFIG)
	$(BIN)/jupyter-book build . --all --config $(TEST_CONFIG) -W -n --keep-going

# Open every page of the built book (run after build-check or book) in headless Chromium:
# pages load, figures show, math is typeset, links resolve, no JavaScript errors.
# Needs a Chromium (Debian/Ubuntu: apt-get install chromium); skips with a message without one.
site: install
	$(BIN)/python -m pytest site_tests

notebooks: install
	@for nb in $(NOTEBOOKS); do \
		echo "executing $$nb"; \
		$(BIN)/jupyter execute --inplace --timeout=600 "$$nb" || exit 1; \
	done

# The converged runs the chapters cite: every recipe at full settings, three seeds, with
# provenance, in book/results/. Resumable: per-run results and checkpoints in .cache/reference.
reference: install
	$(BIN)/python -m vegan_lib.reference

clean:
	rm -rf _build .pytest_cache .ruff_cache
