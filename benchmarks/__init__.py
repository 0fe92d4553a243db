"""Side-by-side timing tables of the course kit (run: python benchmarks/run.py)."""
import os

# The environment as the shell gave it, taken before anything imports the autograder
# (which pins numpy to one thread for grading): the commands that the grading rows time
# run in it, as they would from the shell.
ENVIRONMENT = dict(os.environ)
