"""nbgrader configuration for the course kit.

The course directory is this repository: instructors edit ``source/<assignment>/``,
``nbgrader generate_assignment <assignment>`` writes ``release/<assignment>/``.
"""
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
