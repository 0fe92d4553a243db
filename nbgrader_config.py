"""nbgrader configuration for the course kit.

The course directory is this repository: instructors edit ``source/<assignment>/``,
``nbgrader generate_assignment <assignment>`` writes ``release/<assignment>/``.
"""
import importlib.util
import os

c = get_config()  # noqa: F821 (injected by traitlets)

c.CourseDirectory.course_id = "dl-course-kit"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")

# Released stubs say plainly what to do.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
# Keep generated notebooks free of execution output and timing noise.
c.ClearOutput.enabled = True

# `nbgrader generate_feedback` (--force too) writes the autograder's feedback again for
# the notebooks `autograder gradebook` graded, nbgrader's own for the others
# (autograder/platforms/gradebook.py); without the autograder installed, nbgrader's.
if importlib.util.find_spec("autograder") is not None:
    c.GenerateFeedback.exporter_class = "autograder.platforms.gradebook.Feedback"
