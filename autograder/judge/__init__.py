"""The trusted side: tolerances, budgets, comparisons and the pytest plugin."""
