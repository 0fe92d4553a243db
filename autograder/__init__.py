"""The hidden autograder of the deep-learning course kit."""
import os

# Grading runs one submission per core (``--jobs``): the judge's own numpy must not
# spread over every core, or two jobs fight and references slow tenfold.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# The judge imports TensorFlow for some assignments; its C++ start-up notes are not for
# the instructor's terminal.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
