"""Reference solutions of the course assignments, one module per assignment."""
