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
# `make notebooks NB=book/05_vae_blurriness.ipynb` re-executes a chosen few.
NB        ?= $(NOTEBOOKS)
# Processes at a time for the tests and for `make notebooks`: one per core.
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)

# `make test` builds its own copy of the book here (from the stored outputs), so that the
# HTML of `make book` in _build/html is left alone; `make site` reads this copy by default.
CHECK_DIR   := _build/check
TEST_CONFIG := $(CHECK_DIR)/_config.test.yml
SITE_DIR    ?= $(CHECK_DIR)/_build/html
# Under VEGAN_PROGRESS=summary, fit draws no live progress bar (whose widget state an executed
# notebook would store) and prints one line per training run instead. Exported to every
# command that executes notebooks or builds the book.
PROGRESS    := VEGAN_PROGRESS=summary

.PHONY: help install book test lint unit nbval build-check site notebooks reference clean

help:
	@echo "make book       build the HTML book from the notebooks' stored outputs (creates $(VENV)"
	@echo "                on first use; executes only a notebook stored without outputs)"
	@echo "make test       ruff + unit tests + notebooks under nbval + book build with warnings as errors"
	@echo "                + every page of the built book checked in headless Chromium (make site)"
	@echo "make site       check the test build ($(SITE_DIR)) in headless Chromium; screenshots in"
	@echo "                _build/screenshots (make site SITE_DIR=_build/html checks make book's HTML)"
	@echo "make notebooks  re-execute every notebook in place, $(JOBS) at a time (stored outputs are"
	@echo "                what readers see); NB=book/05_vae_blurriness.ipynb picks a few"
	@echo "make reference  train every reference recipe at full settings, 3 seeds -> vegan_lib/results/"
	@echo "                (package data: an installed vegan_lib reads it too)"
	@echo "                (about 90 min on 2 CPU cores; resumes after an interruption)"
	@echo "make clean      remove build outputs (keeps $(VENV))"

install: $(STAMP)

$(STAMP): pyproject.toml
	@echo "==> creating the virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> upgrading pip"
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "==> installing PyTorch ($(TORCH_SPEC)); the largest download, a minute or more"
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC)
	@echo "==> installing vegan_lib and the book's tools (Jupyter Book, pytest, nbval, ...)"
	$(BIN)/python -m pip install --quiet -e ".[book,dev]"
	@echo "==> $(VENV) is ready"
	@touch $@

book: install
	@echo "==> a notebook stored without outputs is executed first (\`make notebooks\` re-executes all)"
	$(PROGRESS) $(BIN)/python scripts/execute_notebooks.py --only-without-outputs
	@echo "==> building the book from the notebooks' stored outputs"
	$(PROGRESS) $(BIN)/jupyter-book build .
	@echo ""
	@echo "The book is at file://$(abspath _build/html/index.html)"

test: lint unit nbval build-check site

lint: install
	$(BIN)/ruff check .

# Tests spread over $(JOBS) processes (pytest-xdist), one thread each.
unit: install
	$(BIN)/python -m pytest -n $(JOBS) tests --doctest-modules vegan_lib

# The notebooks run as a reader runs them on Colab: copied alone into $(NB_RUN_DIR), with
# vegan_lib installed from its wheel into $(NB_RUN_DIR)/site and no checkout in reach, so a file
# the package forgets to ship (the reference run of chapters 5 and 8) fails here. One notebook
# per worker, its cells in order (--dist loadfile). build/ is setuptools' scratch folder: emptied
# first, so that no stale module lands in the wheel.
NB_RUN_DIR := $(abspath _build/nbval)
nbval: install
	rm -rf $(NB_RUN_DIR) build && mkdir -p $(NB_RUN_DIR)/wheel
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation -w $(NB_RUN_DIR)/wheel .
	$(BIN)/python -m pip install --quiet --no-deps --target $(NB_RUN_DIR)/site \
	    $(NB_RUN_DIR)/wheel/vegan_lib-*.whl
	cp $(NOTEBOOKS) $(NB_RUN_DIR)/
	cd $(NB_RUN_DIR) && PYTHONPATH=$(NB_RUN_DIR)/site $(PROGRESS) $(abspath $(BIN))/python \
	    -m pytest -n $(JOBS) --dist loadfile --nbval-lax --nbval-current-env -p no:python \
	    -p no:cacheprovider $(notdir $(NOTEBOOKS))

# Build from the stored notebook outputs (no re-execution), warnings as errors, into
# $(CHECK_DIR) (the HTML lands in $(SITE_DIR)). --all reads every page again, so a warning of an
# unchanged page is not hidden by the previous build. The test config lives in $(CHECK_DIR),
# so the path of the local Sphinx extensions is made absolute.
build-check: install
	@mkdir -p $(CHECK_DIR)
	sed -e 's/^\(\s*execute_notebooks:\).*/\1 "off"/' \
	    -e 's|^\(\s*[a-z_]*: \)book/_ext$$|\1$(abspath book/_ext)|' _config.yml > $(TEST_CONFIG)
	$(PROGRESS) $(BIN)/jupyter-book build . --all --config $(TEST_CONFIG) \
	    --path-output $(CHECK_DIR) -W -n --keep-going

# Open every page of the built book (run after build-check; SITE_DIR=_build/html after `make
# book`) in headless Chromium: pages load, figures show, math is typeset, links resolve, no
# JavaScript errors, and what a reader sees (no raw TeX, nothing wider than the column, legible
# figures, no warnings or widget views in outputs). The checks first fail on fixture pages.
# One browser: Chromium keeps several processes of its own busy, and two browsers on two cores
# took 90 s where one takes 57 s (2026-12-07, 2-core machine).
# Needs a Chromium (Debian/Ubuntu: apt-get install chromium); skips with a message without one.
site: install
	VEGAN_SITE_DIR=$(abspath $(SITE_DIR)) $(BIN)/python -m pytest site_tests

# Re-execute in place, $(JOBS) kernels at a time (one thread each), longest first; then drop
# the per-cell execution timestamps and hidden widget views, so that running an unchanged
# notebook again leaves git clean. A notebook that fails is left as it was.
notebooks: install
	$(PROGRESS) $(BIN)/python scripts/execute_notebooks.py --jobs $(JOBS) $(NB)

# The reference runs the chapters cite: every recipe at full settings, three seeds, with
# provenance, in vegan_lib/results/. Resumable: per-run results and checkpoints in .cache/reference.
reference: install
	$(BIN)/python -m vegan_lib.reference

clean:
	rm -rf _build .pytest_cache .ruff_cache
