"""Side-by-side timing tables of the course kit (run: python benchmarks/run.py)."""
