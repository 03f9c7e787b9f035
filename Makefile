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

.PHONY: help install book test lint unit nbval build-check notebooks clean

help:
	@echo "make book       build the executed HTML book (creates $(VENV) on first use)"
	@echo "make test       ruff + unit tests + notebooks under nbval + book build with warnings as errors"
	@echo "make notebooks  re-execute every notebook in place (stored outputs are what readers see)"
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

test: lint unit nbval build-check

lint: install
	$(BIN)/ruff check .

unit: install
	$(BIN)/python -m pytest tests --doctest-modules vegan_lib

nbval: install
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:python book/

# Build from the stored notebook outputs (no re-execution), warnings as errors.
build-check: install
	@mkdir -p _build
	sed -e 's/^\(\s*execute_notebooks:\).*/\1 "off"/' _config.yml > $(TEST_CONFIG)
	$(BIN)/jupyter-book build . --config $(TEST_CONFIG) -W -n --keep-going

notebooks: install
	@for nb in $(NOTEBOOKS); do \
		echo "executing $$nb"; \
		$(BIN)/jupyter execute --inplace --timeout=600 "$$nb" || exit 1; \
	done

clean:
	rm -rf _build .pytest_cache .ruff_cache
