"""The hidden autograder of the deep-learning course kit.

Read the rooms in the order a grading passes through them:

- ``cli``: the ``autograder`` command; it parses, and hands each verb to its room.
- ``course``: finds the submissions of an nbgrader tree and grades each one in a judge
  process of its own (``batch``), or a shard of them for a CI matrix (``shards``).
- ``run``: the one description of a grading run (seed, device, limits, budgets,
  hidden folders), resolved once before any student code runs.
- ``grading``: grades one notebook under a run: read it, sandbox it, run the hidden tests.
- ``notebook``: reads a submission safely and turns it into the program that runs.
- ``judge``: the trusted side: the pytest plugin, the checks, the time budgets, and
  ``judge/student.py``, the one door into ``runner``.
- ``runner``: the untrusted side: the sandbox and the worker that runs student code.
- ``assignments``: the registry, and one folder per assignment with all of its facts.
- ``report``: everything a grading leaves: results.json, feedback, grades.csv, the
  summary, JUnit and the instructor's log.
- ``platforms``: Gradescope, GitHub job summaries, nbgrader's gradebook and releases.
- ``messages``, ``config``, ``processes``, ``mutants``: the sentences, the default
  limits, stopping a process tree, and the mutant tools the project's tests use.

``docs/architecture.md`` draws these rooms and the one door.
"""
import os

# Grading runs one submission per core (``--jobs``): the judge's own numpy must not
# spread over every core, or two jobs fight and references slow tenfold.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# The judge imports TensorFlow for some assignments; its C++ start-up notes are not for
# the instructor's terminal.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
