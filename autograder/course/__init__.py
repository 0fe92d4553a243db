"""Grading a whole course: find the submissions of an nbgrader tree and grade each in a
judge process of its own (``batch``), or one shard of them per machine (``shards``).
What the grading leaves is ``report``'s; where the grades go next is ``platforms``'."""


class CourseError(Exception):
    """What was asked cannot be done; the message says why, in words for the instructor."""
