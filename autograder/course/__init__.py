"""Grading a whole course: batches, the grades table and its summary, shards for a CI
matrix, nbgrader's gradebook, Gradescope and GitHub Classroom."""


class CourseError(Exception):
    """What was asked cannot be done; the message says why, in words for the instructor."""
