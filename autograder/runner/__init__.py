"""The untrusted side: a sandboxed process that runs student code (``worker.py``) and
the judge's handle on it (``session.py``)."""
