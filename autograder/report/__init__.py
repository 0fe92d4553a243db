"""What grading leaves behind: results.json (Gradescope's schema), feedback.html, grades.csv."""
