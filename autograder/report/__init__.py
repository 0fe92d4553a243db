"""Everything a grading leaves behind, and only this room writes it: ``results.json``
(Gradescope's schema, checked as it is written) and ``feedback.html`` per submission;
``grades.csv``, ``summary.html`` and ``grading.log`` (the instructor's) per tree; JUnit XML
for a CI system."""
