# The two commands a fresh machine needs (both set up .venv first):
#   make grade-examples   grade the example submissions, print the grade table, write feedback
#   make test             run the project's whole test suite
# and, for the inner loop, make test-fast: everything but the slow tests (TensorFlow
# assignments, attacks in both modes, whole batches).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: grade-examples test test-fast screenshots release benchmark clean

# requirements.lock pins every package (installed without resolving again, so a clean
# run is reproducible); it leaves out jsonschema's optional rfc3987-syntax, whose
# import alone costs seconds in every grading process.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
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

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf grading gradebook.db .pytest_cache
