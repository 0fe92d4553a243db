# The two commands a fresh machine needs (both set up .venv first):
#   make grade-examples   grade the example submissions, print the grade table, write feedback
#   make test             run the project's whole test suite
# and, for the inner loop, make test-fast: everything but the slow tests (TensorFlow
# assignments, attacks in every mode, whole batches).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# GPU=1: TensorFlow's CUDA build and its NVIDIA wheels (requirements-gpu.lock), for a grading
# machine with a GPU; CI and everyone else: the CPU lock
GPU ?= 0
LOCK := $(if $(filter 1,$(GPU)),requirements-gpu.lock,requirements.lock)

.PHONY: grade-examples test test-fast screenshots release benchmark gpu-check clean

# requirements.lock pins every package (installed without resolving again, so a clean
# run is reproducible); it leaves out jsonschema's optional rfc3987-syntax, whose
# import alone costs seconds in every grading process.
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

grade-examples: $(STAMP)
	$(BIN)/autograder grade examples/submitted --out grading/examples --jobs 2 --force

# worksteal: an idle worker takes queued tests from a busy one, so one slow file does
# not leave a core idle at the end
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist worksteal

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist worksteal -m "not slow"

# screenshots of a feedback page and the summary at 1280 and 400 px (installs Chromium as root)
screenshots: $(STAMP)
	AUTOGRADER_INSTALL_CHROMIUM=1 AUTOGRADER_SCREENSHOTS=grading/screenshots $(BIN)/python -m pytest -q -p no:xdist tests/test_feedback_page.py

release: $(STAMP)
	$(BIN)/autograder release

# on a GPU machine (make GPU=1 first): the tf2_migration examples graded on gpu and cpu, one table
gpu-check: $(STAMP)
	timeout 480 $(BIN)/python benchmarks/gpu_check.py

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf grading gradebook.db .pytest_cache
