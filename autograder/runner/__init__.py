"""The untrusted side: a sandboxed process that runs student code (``worker.py``, in a
root of its own built by ``rootfs.py``, under an identity from ``identity.py``, started by
``sandbox.py``) and the judge's handle on it (``session.py``), speaking ``wire.py``. Only
``judge/student.py`` imports this package."""
